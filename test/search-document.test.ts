import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { packagePath } from "../src/paths.js";
import { searchDocumentSql } from "../src/stores/postgres/postgres-search-document.js";
import { searchTermsOfDocument, shipmentSearchTerms } from "../src/stores/shipment-search-terms.js";
import { conformanceCorpus } from "./helpers/fixtures.js";
import { postgresUnavailable, TEST_PG_URL } from "./helpers/stores.js";

// The dashboard's fold on PostgreSQL reads a shipment's search terms from a small document
// its SQL cuts from the payload's jsonb; these tests hold that document to the terms the
// whole payload gives in JavaScript, for every sample and conformance event and for bodies
// shaped to catch a path or type rule the SQL could get wrong.

const shipment = (fields: Record<string, unknown>) => ({ _object: "/shipment", id: 1, ...fields });
const event = (data: unknown) =>
  JSON.stringify({ _object: "/event", id: 1, type: "/shipment#updated", data });

const SHAPED: readonly [string, string][] = [
  [
    "every member read, with case, spaces, numbers and a large integer",
    event({
      shipment: shipment({
        metadata: { purchase_order: ["PO-1", " po-2  x ", "@big", 1.5, true, null, { a: 1 }] },
        items: [{ purchase_order_number: "PO-3" }, ["PO-4"], 7, { purchase_order_number: 1e2 }, {}],
        ocean_shipment: { house_bill_number: "HBL\t1", master_bill_number: "MBL1" },
        air_shipment: { house_airway_bill: "HAWB1", master_airway_bill: 160 },
      }),
      resource: shipment({ container_number: "ABCU1234567", items: [{ purchase_order_number: "PO-5" }] }),
      containers: [{ container_number: "MSCU7654321" }, { container_number: "" }, "x", null],
      // An integer beyond 2^53, as the text has it (JSON.parse and jsonb must agree on it).
    }).replace('"@big"', "12345678901234567890"),
  ],
  [
    "a resource that is a container, not a shipment",
    event({ resource: { _object: "/ocean/shipment_container", container_number: "TGHU0000001" } }),
  ],
  [
    "members where objects or arrays are expected hold other types",
    event({
      shipment: shipment({
        metadata: { purchase_order: "PO-not-a-list" },
        items: { purchase_order_number: "PO-not-in-a-list" },
        ocean_shipment: ["HBL-in-an-array"],
        air_shipment: "AWB",
      }),
      resource: [shipment({ container_number: "IN-AN-ARRAY" })],
      containers: { container_number: "NOT-A-LIST" },
    }),
  ],
  ["data is an array", event([{ shipment: shipment({ metadata: { purchase_order: ["PO-X"] } }) }])],
  ["no data", JSON.stringify({ _object: "/event", id: 2, type: "/shipment#created" })],
  [
    "escapes, non-ASCII text and a term over 200 characters",
    event({
      shipment: shipment({
        metadata: { purchase_order: ["P\u00d6-\u00e9\u4e2d", 'a\\"b', "x".repeat(201), "y".repeat(200)] },
      }),
    }),
  ],
  [
    "a shipment whose _object is not /shipment",
    event({ shipment: { _object: "/ocean/shipment", metadata: { purchase_order: ["PO-Y"] } } }),
  ],
];

function corpus(): [string, string][] {
  const samples = packagePath("samples", "flexport");
  const bodies: [string, string][] = readdirSync(samples)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [`sample ${f}`, readFileSync(`${samples}/${f}`, "utf8")]);
  const conformance = conformanceCorpus();
  for (const entry of conformance?.entries ?? []) {
    bodies.push([`conformance ${entry.file}`, conformance?.read(entry.file).toString("utf8") ?? ""]);
  }
  return [...bodies, ...SHAPED];
}

describe("search document", () => {
  it("the shaped bodies give the terms they were shaped for (JavaScript, whole payload)", () => {
    assert.equal(
      shipmentSearchTerms(SHAPED[0]?.[1] ?? ""),
      "po-1 po-2 x 12345678901234567000 1.5 po-3 100 hbl 1 mbl1 hawb1 160 po-5 mscu7654321 abcu1234567",
    );
    assert.equal(shipmentSearchTerms(SHAPED[1]?.[1] ?? ""), "tghu0000001");
    assert.equal(shipmentSearchTerms(SHAPED[2]?.[1] ?? ""), "");
  });

  describe("cut by PostgreSQL from the stored jsonb", async () => {
    const problem = await postgresUnavailable();
    const skip = problem !== undefined && process.env.CI !== "true" ? `skipped: ${problem}` : undefined;
    let client: pg.Client;
    before(async () => {
      if (skip !== undefined) return;
      if (problem !== undefined) throw new Error(`CI=true requires PostgreSQL: ${problem}`);
      client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
    });
    after(async () => {
      await client?.end();
    });
    const documentOf = async (payload: string | null) =>
      (
        await client.query<{ document: unknown }>(
          `SELECT ${searchDocumentSql("j -> 'data'")} AS document FROM (SELECT $1::jsonb AS j) AS t`,
          [payload],
        )
      ).rows[0]?.document;

    for (const [name, payload] of corpus()) {
      it(`gives the payload's terms: ${name}`, { skip }, async () => {
        assert.equal(searchTermsOfDocument(await documentOf(payload)), shipmentSearchTerms(payload));
      });
    }

    it("gives no terms for a payload with no jsonb copy", { skip }, async () => {
      assert.equal(searchTermsOfDocument(await documentOf(null)), "");
    });
  });
});
