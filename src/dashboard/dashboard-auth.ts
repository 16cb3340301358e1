import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Options for the dashboard's access checks. */
export interface DashboardAuthOptions {
  /** The dashboard password (any user name goes with it in HTTP Basic). */
  readonly password: string;
  /** How long a browser session lasts. */
  readonly sessionMs: number;
  readonly now?: () => number;
}

export interface DashboardAuth {
  /** true when the password matches; compared in constant time. */
  checkPassword(given: string): boolean;
  /** true for an `Authorization: Basic …` header carrying the password, whatever the user. */
  checkBasic(header: string | undefined): boolean;
  /** A new session cookie value. */
  issueSession(): string;
  /** true for a session cookie this process issued with this password that has not expired. */
  checkSession(value: string | undefined): boolean;
  /** The form token that proves a POST came from a page of this session. */
  csrfToken(session: string): string;
  checkCsrf(session: string | undefined, token: string | undefined): boolean;
}

/**
 * Sessions are signed, not stored: `<expiry>.<nonce>.<hmac>`, keyed by the password, so
 * changing the password signs every browser out. The CSRF token is an HMAC of the session.
 */
export function createDashboardAuth(options: DashboardAuthOptions): DashboardAuth {
  const now = options.now ?? Date.now;
  const key = createHmac("sha256", options.password).update("portcall dashboard session v1").digest();
  const mac = (text: string) => createHmac("sha256", key).update(text).digest("base64url");
  const expected = Buffer.from(options.password, "utf8");

  const checkPassword = (given: string) => equal(Buffer.from(given, "utf8"), expected);

  return {
    checkPassword,

    checkBasic(header) {
      const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
      if (match === null) return false;
      const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return colon >= 0 && checkPassword(decoded.slice(colon + 1));
    },

    issueSession() {
      const body = `${now() + options.sessionMs}.${randomBytes(12).toString("base64url")}`;
      return `${body}.${mac(body)}`;
    },

    checkSession(value) {
      if (value === undefined) return false;
      const parts = value.split(".");
      if (parts.length !== 3) return false;
      const [expiry, nonce, signature] = parts as [string, string, string];
      if (!/^\d{1,16}$/.test(expiry) || Number(expiry) <= now()) return false;
      return equal(Buffer.from(signature), Buffer.from(mac(`${expiry}.${nonce}`)));
    },

    csrfToken(session) {
      return mac(`csrf:${session}`);
    },

    checkCsrf(session, token) {
      if (session === undefined || token === undefined) return false;
      return equal(Buffer.from(token), Buffer.from(mac(`csrf:${session}`)));
    },
  };
}

function equal(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual needs equal lengths; comparing digests keeps the length secret too.
  const da = createHmac("sha256", "portcall").update(a).digest();
  const db = createHmac("sha256", "portcall").update(b).digest();
  return timingSafeEqual(da, db);
}
