import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { signatureVectors } from "../../test/helpers/fixtures.js";
import { signBody, verifySignature } from "./signature.js";

const body = Buffer.from('{"_object":"/event","id":7100001,"type":"/shipment#created"}');
const secret = "current-secret";
const options = { secrets: [secret], acceptSha1: true };
const hex = (alg: string, key: string, data: Uint8Array) => createHmac(alg, key).update(data).digest("hex");

describe("verifySignature", () => {
  it("GitHub's published X-Hub-Signature-256 vector → ok", () => {
    const result = verifySignature(
      Buffer.from("Hello, World!"),
      { sha256: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", sha1: undefined },
      { secrets: ["It's a Secret to Everybody"], acceptSha1: true },
    );
    assert.deepEqual(result, { ok: true, algorithm: "sha256" });
  });

  it("valid sha256 header → ok sha256", () => {
    assert.deepEqual(
      verifySignature(body, { sha256: `sha256=${hex("sha256", secret, body)}`, sha1: undefined }, options),
      {
        ok: true,
        algorithm: "sha256",
      },
    );
  });

  it("valid legacy sha1 header alone → ok sha1", () => {
    assert.deepEqual(
      verifySignature(body, { sha256: undefined, sha1: `sha1=${hex("sha1", secret, body)}` }, options),
      {
        ok: true,
        algorithm: "sha1",
      },
    );
  });

  it("bare hex without the prefix → ok", () => {
    assert.equal(
      verifySignature(body, { sha256: hex("sha256", secret, body), sha1: undefined }, options).ok,
      true,
    );
    assert.equal(
      verifySignature(body, { sha256: undefined, sha1: hex("sha1", secret, body) }, options).ok,
      true,
    );
  });

  it("upper-case hex and prefix, surrounding spaces → ok", () => {
    const value = ` SHA256=${hex("sha256", secret, body).toUpperCase()} `;
    assert.equal(verifySignature(body, { sha256: value, sha1: undefined }, options).ok, true);
  });

  it("bad sha256 with a good sha1 → mismatch (no downgrade)", () => {
    const result = verifySignature(
      body,
      { sha256: `sha256=${"0".repeat(64)}`, sha1: `sha1=${hex("sha1", secret, body)}` },
      options,
    );
    assert.deepEqual(result, { ok: false, failure: "mismatch" });
  });

  it("malformed sha256 with a good sha1 → malformed (no downgrade)", () => {
    const result = verifySignature(body, { sha256: "", sha1: `sha1=${hex("sha1", secret, body)}` }, options);
    assert.deepEqual(result, { ok: false, failure: "malformed" });
  });

  it("tampered body (one byte) → mismatch", () => {
    const header = `sha256=${hex("sha256", secret, body)}`;
    const tampered = Buffer.from(body);
    tampered.writeUInt8((tampered.at(-2) ?? 0) ^ 1, tampered.length - 2);
    assert.deepEqual(verifySignature(tampered, { sha256: header, sha1: undefined }, options), {
      ok: false,
      failure: "mismatch",
    });
  });

  it("trailing newline added to the body → mismatch", () => {
    const header = `sha256=${hex("sha256", secret, body)}`;
    const longer = Buffer.concat([body, Buffer.from("\n")]);
    assert.equal(verifySignature(longer, { sha256: header, sha1: undefined }, options).ok, false);
  });

  it("no header → missing", () => {
    assert.deepEqual(verifySignature(body, { sha256: undefined, sha1: undefined }, options), {
      ok: false,
      failure: "missing",
    });
  });

  for (const [name, value] of [
    ["odd length", `sha256=${hex("sha256", secret, body).slice(1)}`],
    ["non-hex", `sha256=${"z".repeat(64)}`],
    ["too long", `sha256=${hex("sha256", secret, body)}00`],
    ["sha1-length digest in the sha256 header", `sha256=${hex("sha1", secret, body)}`],
    ["wrong prefix", `sha1=${hex("sha256", secret, body)}`],
    ["two values joined", `sha256=${hex("sha256", secret, body)}, sha256=${hex("sha256", secret, body)}`],
    ["only the prefix", "sha256="],
    ["unicode", `sha256=${"é".repeat(64)}`],
  ] as const) {
    it(`${name} → malformed, without throwing`, () => {
      assert.deepEqual(verifySignature(body, { sha256: value, sha1: undefined }, options), {
        ok: false,
        failure: "malformed",
      });
    });
  }

  it("rotation: a body signed with either configured secret → ok; with neither → mismatch", () => {
    const rotating = { secrets: ["new-secret", "old-secret"], acceptSha1: true };
    for (const key of ["new-secret", "old-secret"]) {
      assert.equal(
        verifySignature(body, { sha256: hex("sha256", key, body), sha1: undefined }, rotating).ok,
        true,
      );
    }
    assert.equal(
      verifySignature(body, { sha256: hex("sha256", "other", body), sha1: undefined }, rotating).ok,
      false,
    );
  });

  it("sha1 switched off → sha1_disabled, even when the sha1 signature is right", () => {
    const result = verifySignature(
      body,
      { sha256: undefined, sha1: `sha1=${hex("sha1", secret, body)}` },
      { secrets: [secret], acceptSha1: false },
    );
    assert.deepEqual(result, { ok: false, failure: "sha1_disabled" });
  });

  it("signBody produces headers that verify", () => {
    const headers = signBody(body, secret);
    assert.equal(
      verifySignature(body, { sha256: headers["x-hub-signature-256"], sha1: undefined }, options).ok,
      true,
    );
    assert.equal(
      verifySignature(body, { sha256: undefined, sha1: headers["x-hub-signature"] }, options).ok,
      true,
    );
  });

  const vectors = signatureVectors();
  describe("external conformance signature vectors", { skip: vectors ? false : "corpus not present" }, () => {
    for (const vector of vectors ?? []) {
      it(`${vector.name} → both headers verify and match`, () => {
        const data = Buffer.from(vector.body, "utf8");
        assert.deepEqual(signBody(data, vector.secret), {
          "x-hub-signature-256": vector.x_hub_signature_256,
          "x-hub-signature": vector.x_hub_signature,
        });
        const opts = { secrets: [vector.secret], acceptSha1: true };
        assert.equal(
          verifySignature(data, { sha256: vector.x_hub_signature_256, sha1: undefined }, opts).ok,
          true,
        );
        assert.equal(
          verifySignature(data, { sha256: undefined, sha1: vector.x_hub_signature }, opts).ok,
          true,
        );
      });
    }
  });
});
