// The verifier of signed e-CMR documents (`ecmr-document/1`) and of a gateway's statements (receipts,
// attestations), in the browser: the algorithm of docs/signed-document.md §6 and §9, with the browser's own
// SHA-256 and Ed25519 (WebCrypto), independent of the gateway that served the document.
//
// What it checks: strict JSON (§1), format and shape, the document id, every event's seq, document id, prev
// (the hash chain), signer key (valid point, not of small order), signature (strict Ed25519: S < L, R not of
// small order, then WebCrypto), `at` and the data of each kind, the lifecycle, amendments (merge patch, frozen
// members), the note digest, pinned keys and key continuity. Of the note's content rules it checks only the
// essentials (a number, sender, consignee and at least one goods line); the gateway applies all of them.
// Where the browser has no Ed25519 in WebCrypto, `ed25519Available()` is false and no signature is reported as
// checked.

const EVENT_PREFIX = "ecmr-event/1\n";
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 128;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const KINDS = ["issued", "cancelled", "taken_over", "reservations_accepted", "amended", "handed_over", "delivered",
  "delivery_refused"];
const ROLES = ["sender", "carrier", "successive_carrier", "consignee"];
const FINAL = ["cancelled", "delivered", "refused"];
const RESERVATION_SUBJECTS = ["number_of_packages", "marks_and_numbers", "apparent_condition", "packaging",
  "loss_or_damage", "other"];
const CHECK_SUBJECTS = ["gross_weight", "quantity", "contents"];
const EVENT_MEMBERS = ["seq", "kind", "document_id", "at", "prev", "note_digest", "role", "data", "signer",
  "signature"];

// ------------------------------------------------------------------------------------------------------------
// Strict JSON (§1): no repeated member names, no fractions or exponents, integers within ±(2^53 − 1), at most
// 128 levels. Objects have no prototype, so that a member named "__proto__" is just a member.

/** Why text is not strict JSON. */
export class StrictJsonError extends Error {}

/** Parses strict JSON text; throws StrictJsonError saying what and where. */
export function parseStrict(text) {
  let i = 0;
  const fail = (what) => { throw new StrictJsonError(`${what} at character ${i}`); };
  const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  const value = (depth) => {
    if (depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels`);
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj = Object.create(null);
      ws();
      if (text[i] === "}") { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== "\"") fail("expected a member name");
        const name = string();
        if (Object.prototype.hasOwnProperty.call(obj, name)) fail(`member ${JSON.stringify(name)} repeated`);
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        obj[name] = value(depth + 1);
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return obj; }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr = [];
      ws();
      if (text[i] === "]") { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return arr; }
        fail("expected ',' or ']'");
      }
    }
    if (c === "\"") return string();
    if (text.startsWith("true", i)) { i += 4; return true; }
    if (text.startsWith("false", i)) { i += 5; return false; }
    if (text.startsWith("null", i)) { i += 4; return null; }
    const m = /^-?(0|[1-9][0-9]*)([.eE])?/.exec(text.slice(i, i + 40));
    if (!m) fail("unexpected character");
    if (m[2]) fail("a number with a fraction or an exponent");
    const n = Number(m[0]);
    if (m[0] === "-0") fail("-0");
    if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_SAFE) fail("an integer outside ±(2^53 − 1)");
    i += m[0].length;
    return n;
  };
  const string = () => {
    i++;
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i];
      if (c === "\"") { i++; return out; }
      if (c === "\\") {
        const e = text[i + 1];
        const simple = { "\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e in simple) { out += simple[e]; i += 2; continue; }
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          const unit = parseInt(text.slice(i + 2, i + 6), 16);
          i += 6;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (text[i] === "\\" && text[i + 1] === "u" && /^[dD][c-fC-F][0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 6))) {
              out += String.fromCharCode(unit, parseInt(text.slice(i + 2, i + 6), 16));
              i += 6;
              continue;
            }
            fail("a lone surrogate escape");
          }
          if (unit >= 0xdc00 && unit <= 0xdfff) fail("a lone surrogate escape");
          out += String.fromCharCode(unit);
          continue;
        }
        fail("a bad escape");
      }
      if (c < " ") fail("a control character in a string");
      out += c;
      i++;
    }
  };
  const v = value(1);
  ws();
  if (i !== text.length) fail("text after the JSON value");
  return v;
}

// ------------------------------------------------------------------------------------------------------------
// RFC 8785 canonical JSON: members sorted by UTF-16 code units (JavaScript's own string order), ES6 numbers and
// strings (JSON.stringify's own forms).

/** The JCS text of a JSON value. */
export function canonicalize(v) {
  if (v === null || typeof v === "boolean") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error("not a finite number");
    return JSON.stringify(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalize).join(",")}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(v[k])}`).join(",")}}`;
}

const utf8 = (s) => new TextEncoder().encode(s);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** `sha256:` and the hex SHA-256 of the JCS form of a value. */
export async function digest(v) {
  const h = await crypto.subtle.digest("SHA-256", utf8(canonicalize(v)));
  return `sha256:${hex(new Uint8Array(h))}`;
}

/** Lower-case hex SHA-256 of bytes (a key id is that of the 32 key bytes). */
export async function sha256Hex(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** Strict base64url without padding (RFC 4648 §5): null for anything else, non-zero trailing bits included. */
export function b64urlDecode(s) {
  if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    acc = (acc << 6) | alphabet.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return null;
  return new Uint8Array(out);
}

// ------------------------------------------------------------------------------------------------------------
// Ed25519 (§6 step 4.4): the key must decode to a point not of small order; S < L; R not a small-order point;
// then the browser's verification, which computes [S]B − [k]A and compares its canonical encoding with R.

const P = (1n << 255n) - 19n;
const D = (-121665n * inv(121666n)) % P + P;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function mod(a) { const r = a % P; return r < 0n ? r + P : r; }
function pow(b, e) {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}
function inv(a) { return pow(a, ((1n << 255n) - 19n) - 2n); }
function leBig(bytes) { let n = 0n; for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]); return n; }

/** Whether 32 bytes are the encoding of a curve point (y reduced mod p, as the reference verifier reads it). */
export function isPoint(bytes) {
  if (bytes.length !== 32) return false;
  const b = Uint8Array.from(bytes);
  b[31] &= 0x7f;
  const y = mod(leBig(b));
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === u) return true;
  if (vx2 === mod(-u)) { x = mod(x * pow(2n, (P - 1n) / 4n)); return true; }
  return false;
}

// The encodings of the points of small order, canonical and not, with the sign bit masked (as libsodium lists
// them).
const SMALL_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/** Whether a point encoding is of a point of small order. */
export function isSmallOrder(bytes) {
  const b = Uint8Array.from(bytes);
  b[31] &= 0x7f;
  return SMALL_ORDER.includes(hex(b));
}

let ed25519 = null;

/** Whether the browser verifies Ed25519 signatures (WebCrypto `{name: "Ed25519"}`). */
export async function ed25519Available() {
  if (ed25519 === null) {
    try {
      // RFC 8032 §7.1 TEST 1.
      const pk = Uint8Array.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".match(/../g), (h) => parseInt(h, 16));
      const sig = Uint8Array.from(("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b").match(/../g), (h) => parseInt(h, 16));
      const key = await crypto.subtle.importKey("raw", pk, { name: "Ed25519" }, false, ["verify"]);
      ed25519 = await crypto.subtle.verify({ name: "Ed25519" }, key, sig, new Uint8Array(0));
    } catch {
      ed25519 = false;
    }
  }
  return ed25519;
}

/**
 * Strict Ed25519 verification: "ok", "bad_key", "weak_key", "bad_signature_encoding",
 * "non_canonical_signature", "bad_signature", or "unavailable" when the browser cannot verify.
 */
export async function verifyStrict(publicKey, signature, message) {
  if (publicKey.length !== 32 || !isPoint(publicKey)) return "bad_key";
  if (isSmallOrder(publicKey)) return "weak_key";
  if (signature.length !== 64) return "bad_signature_encoding";
  if (leBig(signature.slice(32)) >= L) return "non_canonical_signature";
  if (!(await ed25519Available())) return "unavailable";
  let ok;
  try {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    ok = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return "bad_key";
  }
  if (ok && isSmallOrder(signature.slice(0, 32))) return "non_canonical_signature";
  return ok ? "ok" : "bad_signature";
}

// ------------------------------------------------------------------------------------------------------------
// The shape of events and their data (§3, §5).

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isText = (v) => typeof v === "string" && v.trim() !== "";
const UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;
const OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function realTime(m) {
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days && h <= 23 && mi <= 59 && s <= 60;
}
const isUtc = (v) => typeof v === "string" && realTime(UTC.exec(v));
const isDateTime = (v) => typeof v === "string" && realTime(OFFSET.exec(v));

function onlyMembers(o, allowed, pointer) {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) return `${pointer}/${k}: not allowed`;
  return null;
}

function checkLocation(v, p) {
  if (!isObj(v)) return `${p}: not a location object`;
  const extra = onlyMembers(v, ["address", "name", "unlocode", "coordinates"], p);
  if (extra) return extra;
  if (!isObj(v.address)) return `${p}/address: missing`;
  if (!isText(v.address.city)) return `${p}/address/city: missing`;
  if (typeof v.address.country !== "string" || !/^[A-Z]{2}$/.test(v.address.country)) return `${p}/address/country: not a country code`;
  return null;
}

function checkList(v, p, each) {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0) return `${p}: not a non-empty list`;
  for (let i = 0; i < v.length; i++) {
    const e = each(v[i], `${p}/${i}`);
    if (e) return e;
  }
  return null;
}

function checkReservation(r, p) {
  if (!isObj(r)) return `${p}: not an object`;
  return onlyMembers(r, ["subject", "text", "grounds"], p)
    || (RESERVATION_SUBJECTS.includes(r.subject) ? null : `${p}/subject: unknown`)
    || (isText(r.text) ? null : `${p}/text: missing`)
    || (isText(r.grounds) ? null : `${p}/grounds: missing`);
}

function checkCheck(c, p) {
  if (!isObj(c)) return `${p}: not an object`;
  return onlyMembers(c, ["subject", "result"], p)
    || (CHECK_SUBJECTS.includes(c.subject) ? null : `${p}/subject: unknown`)
    || (isText(c.result) ? null : `${p}/result: missing`);
}

/** What is wrong with an event's `at` and `data` (a JSON pointer and why), or null. */
function checkData(e) {
  if (!isUtc(e.at)) return "/at: not RFC 3339 UTC ending in Z";
  const d = e.data;
  const p = "/data";
  switch (e.kind) {
    case "issued": return onlyMembers(d, [], p);
    case "cancelled": return onlyMembers(d, ["reason"], p) || (isText(d.reason) ? null : `${p}/reason: missing`);
    case "taken_over":
    case "handed_over":
    case "delivered": {
      const allowed = e.kind === "taken_over" ? ["place", "time", "reservations", "checks"] : ["place", "time", "reservations"];
      return onlyMembers(d, allowed, p) || checkLocation(d.place, `${p}/place`)
        || (isDateTime(d.time) ? null : `${p}/time: not a date-time`)
        || checkList(d.reservations, `${p}/reservations`, checkReservation)
        || checkList(d.checks, `${p}/checks`, checkCheck);
    }
    case "reservations_accepted":
      return onlyMembers(d, ["events"], p)
        || checkList(d.events ?? [], `${p}/events`, (n, q) => (Number.isSafeInteger(n) && n >= 0 ? null : `${q}: not a seq`));
    case "amended":
      return onlyMembers(d, ["patch", "reason"], p) || (isObj(d.patch) ? null : `${p}/patch: not an object`)
        || (isText(d.reason) ? null : `${p}/reason: missing`);
    case "delivery_refused":
      return onlyMembers(d, ["reason", "time"], p) || (isText(d.reason) ? null : `${p}/reason: missing`)
        || (d.time === undefined || isDateTime(d.time) ? null : `${p}/time: not a date-time`);
    default: return `${p}: unknown kind`;
  }
}

/** The essentials of a consignment note: a number, a sender and consignee with names, a goods line. */
function noteProblem(note) {
  if (!isObj(note)) return "the note is not an object";
  if (!isText(note.number)) return "the note has no number";
  for (const party of ["sender", "consignee"]) {
    if (!isObj(note[party]) || !isText(note[party].name)) return `the note has no ${party}`;
  }
  if (!Array.isArray(note.goods) || note.goods.length === 0) return "the note has no goods";
  return null;
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target, patch) {
  if (!isObj(patch)) return patch;
  const out = Object.create(null);
  if (isObj(target)) for (const k of Object.keys(target)) out[k] = target[k];
  for (const k of Object.keys(patch)) {
    if (patch[k] === null) delete out[k];
    else out[k] = mergePatch(out[k], patch[k]);
  }
  return out;
}

const at = (v, ...path) => path.reduce((o, k) => (isObj(o) ? o[k] : undefined), v);
const same = (a, b) => (a === undefined && b === undefined) || (a !== undefined && b !== undefined && canonicalize(a) === canonicalize(b));

function pinned(note, role) {
  const keys = (block) => (isObj(block) && Array.isArray(block.public_keys) ? block.public_keys.filter((k) => typeof k === "string") : []);
  if (role === "successive_carrier") {
    return Array.isArray(note.successive_carriers) ? note.successive_carriers.flatMap(keys) : [];
  }
  return keys(note[role]);
}

function checkShape(doc) {
  if (!isObj(doc)) return "the document is not an object";
  const extra = onlyMembers(doc, ["format", "id", "note", "events"], "");
  if (extra) return extra;
  if (typeof doc.id !== "string") return "/id: not a string";
  if (!isObj(doc.note)) return "/note: not an object";
  if (!Array.isArray(doc.events)) return "/events: not an array";
  for (let i = 0; i < doc.events.length; i++) {
    const e = doc.events[i];
    const p = `/events/${i}`;
    if (!isObj(e)) return `${p}: not an object`;
    for (const m of EVENT_MEMBERS) if (!(m in e)) return `${p}/${m}: missing`;
    const bad = onlyMembers(e, EVENT_MEMBERS, p);
    if (bad) return bad;
    if (!Number.isSafeInteger(e.seq)) return `${p}/seq: not an integer`;
    if (!KINDS.includes(e.kind)) return `${p}/kind: unknown`;
    if (!ROLES.includes(e.role)) return `${p}/role: unknown`;
    for (const m of ["document_id", "at", "note_digest", "signature"]) if (typeof e[m] !== "string") return `${p}/${m}: not a string`;
    if (e.prev !== null && typeof e.prev !== "string") return `${p}/prev: not a string or null`;
    if (!isObj(e.data)) return `${p}/data: not an object`;
    if (!isObj(e.signer)) return `${p}/signer: not an object`;
    const sb = onlyMembers(e.signer, ["alg", "public_key"], `${p}/signer`);
    if (sb) return sb;
    if (typeof e.signer.alg !== "string" || typeof e.signer.public_key !== "string") return `${p}/signer: alg and public_key must be strings`;
  }
  return null;
}

// ------------------------------------------------------------------------------------------------------------
// Documents (§6).

/**
 * Verifies a signed document given as text (strict JSON) or as an already parsed value.
 * Answers `{valid, failures: [{failure, seq, detail}], events: [{seq, kind, role, at, key_id, signature,
 * chain, digest, lifecycle, ok, reasons}], state, note, digests, signatures_checked}`; `failures[0]` is the first
 * failure in the order of the algorithm, as the test vectors name it.
 */
export async function verifyDocument(input) {
  const failures = [];
  const out = { valid: false, failures, events: [], state: null, note: null, digests: [], signatures_checked: await ed25519Available() };
  const fail = (failure, seq, detail) => failures.push({ failure, seq, detail });
  let doc = input;
  if (typeof input === "string") {
    if (utf8(input).length > MAX_BYTES) { fail("malformed", null, "larger than 4 MiB"); return out; }
    try { doc = parseStrict(input); } catch (e) { fail("malformed", null, e.message); return out; }
  }
  if (!isObj(doc) || doc.format !== "ecmr-document/1") { fail("unknown_format", null, "format is not ecmr-document/1"); return out; }
  const shape = checkShape(doc);
  if (shape) { fail("malformed", null, shape); return out; }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(doc.id)) fail("invalid_document_id", null, doc.id);
  const bad = noteProblem(doc.note);
  if (bad) fail("invalid_note", 0, bad);
  if (doc.events.length === 0) { fail("no_events", null, "the document has no events"); return out; }

  let note = doc.note;
  let state = null;
  let prev = null;
  const open = new Set();
  const bound = Object.create(null);
  const keyRoles = new Map();
  for (let i = 0; i < doc.events.length; i++) {
    const e = doc.events[i];
    const report = { seq: e.seq, kind: e.kind, role: e.role, at: e.at, data: e.data, key_id: null, signature: null, chain: true, digest: true, lifecycle: true, reasons: [] };
    const problem = (failure, detail) => { fail(failure, i, detail); report.reasons.push(failure); };
    if (e.seq !== i) { problem(e.seq < i ? "seq_repeat" : "seq_gap", `seq ${e.seq} at position ${i}`); report.chain = false; }
    if (e.document_id !== doc.id) { problem("wrong_document_id", e.document_id); report.chain = false; }
    if (e.prev !== prev) { problem("broken_prev", `prev ${e.prev} is not ${prev}`); report.chain = false; }
    // The signature.
    let sigOk = false;
    const key = b64urlDecode(e.signer.public_key);
    if (key && key.length === 32) report.key_id = await sha256Hex(key);
    if (e.signer.alg !== "Ed25519") {
      problem("unsupported_algorithm", e.signer.alg);
      report.signature = "unsupported_algorithm";
    } else if (!key || key.length !== 32 || !isPoint(key)) {
      problem("bad_key", e.signer.public_key);
      report.signature = "bad_key";
    } else if (isSmallOrder(key)) {
      problem("weak_key", e.signer.public_key);
      report.signature = "weak_key";
    } else {
      const sig = b64urlDecode(e.signature);
      if (!sig || sig.length !== 64) {
        problem("bad_signature_encoding", "not base64url of 64 bytes");
        report.signature = "bad_signature_encoding";
      } else {
        const unsigned = Object.create(null);
        for (const k of Object.keys(e)) if (k !== "signature") unsigned[k] = e[k];
        const verdict = await verifyStrict(key, sig, utf8(EVENT_PREFIX + canonicalize(unsigned)));
        report.signature = verdict;
        if (verdict === "ok") sigOk = true;
        else if (verdict !== "unavailable") problem(verdict, "the signature does not verify");
      }
    }
    // Data and lifecycle.
    const dataProblem = checkData(e);
    if (dataProblem) problem("invalid_event_data", dataProblem);
    let next = state;
    let allowed = false;
    if (!dataProblem) {
      const rule = lifecycle(e, state, note, open);
      if (rule.error) { problem("disallowed_transition", rule.error); report.lifecycle = false; } else { allowed = true; next = rule.state; }
    } else {
      report.lifecycle = false;
    }
    // Amendment.
    let after = note;
    if (e.kind === "amended" && isObj(e.data) && isObj(e.data.patch)) {
      after = mergePatch(note, e.data.patch);
      const frozen = [["consignee_has_right_of_disposal"], ["sender", "public_keys"], ["carrier", "public_keys"]];
      const changed = frozen.find((path) => !same(at(note, ...path), at(after, ...path)));
      if (changed) { problem("forbidden_amendment", `/${changed.join("/")} changed`); after = note; }
      else {
        const invalid = noteProblem(after);
        if (invalid) { problem("invalid_note", invalid); after = note; }
      }
    }
    const noteDigest = await digest(after);
    if (e.note_digest !== noteDigest) { problem("wrong_note_digest", `note_digest is not ${noteDigest}`); report.digest = false; }
    // Pins and continuity, from the note before the event.
    const pins = pinned(note, e.role);
    if (pins.length > 0 && !pins.includes(e.signer.public_key)) problem("key_not_pinned", "the note pins other keys for this role");
    if (sigOk) {
      const k = e.signer.public_key;
      if (e.role !== "successive_carrier" && bound[e.role] && bound[e.role] !== k && pins.length === 0) {
        problem("key_changed", `the ${e.role} signed with another key before`);
      }
      const before = keyRoles.get(k) ?? new Set();
      const others = [...before].filter((r) => r !== e.role);
      if (others.length > 0 && !(pins.includes(k) && others.every((r) => pinned(note, r).includes(k)))) {
        problem("key_reused_across_roles", `the key signed as ${others.join(", ")} before`);
      }
      if (e.role !== "successive_carrier" && !bound[e.role]) bound[e.role] = k;
      before.add(e.role);
      keyRoles.set(k, before);
    }
    if (allowed) {
      state = next;
      if ((e.kind === "taken_over" || e.kind === "handed_over") && Array.isArray(e.data.reservations) && e.data.reservations.length > 0) open.add(i);
      if (e.kind === "reservations_accepted") for (const s of e.data.events) open.delete(s);
    }
    note = after;
    prev = await digest(e);
    out.digests.push(prev);
    report.ok = report.reasons.length === 0 && sigOk;
    out.events.push(report);
  }
  out.state = state;
  out.note = note;
  out.valid = failures.length === 0 && out.signatures_checked;
  return out;
}

function lifecycle(e, state, note, open) {
  if (FINAL.includes(state)) return { error: `after the final state ${state}` };
  const disposal = note.consignee_has_right_of_disposal === true ? "consignee" : "sender";
  const table = {
    issued: [state === null, "sender", "issued"],
    cancelled: [state === "issued", "sender", "cancelled"],
    taken_over: [state === "issued", "carrier", "in_transit"],
    reservations_accepted: [state === "in_transit", "sender", state],
    amended: [state === "issued" || state === "in_transit", disposal, state],
    handed_over: [state === "in_transit", "successive_carrier", "in_transit"],
    delivered: [state === "in_transit", "consignee", "delivered"],
    delivery_refused: [state === "in_transit", "consignee", "refused"],
  };
  const [when, role, next] = table[e.kind];
  if (!when) return { error: `${e.kind} is not allowed in state ${state ?? "(none)"}` };
  if (e.role !== role) return { error: `${e.kind} is signed by the ${role}, not the ${e.role}` };
  if (e.kind === "reservations_accepted") {
    const shut = e.data.events.find((s) => !open.has(s));
    if (shut !== undefined) return { error: `event ${shut} has no open reservations` };
  }
  return { state: next };
}

// ------------------------------------------------------------------------------------------------------------
// Gateway statements (§9) and bundles.

/**
 * Verifies a statement (`ecmr-receipt/1`, `ecmr-attestation/1`) against gateway keys `[{gate_id, public_key,
 * valid_until}]` (as `/.well-known/ecmr-gateway` lists them). Answers `{ok, reason}`.
 */
export async function verifyStatement(stmt, format, gatewayKeys) {
  if (!isObj(stmt) || stmt.format !== format) return { ok: false, reason: `not an ${format}` };
  if (!isObj(stmt.signer) || stmt.signer.alg !== "Ed25519") return { ok: false, reason: "unsupported signer" };
  const entry = gatewayKeys.find((k) => k.public_key === stmt.signer.public_key);
  if (!entry) return { ok: false, reason: "signed by a key this gateway does not publish" };
  if (entry.gate_id && entry.gate_id !== stmt.gate_id) return { ok: false, reason: `the key is not gate ${stmt.gate_id}'s` };
  const made = stmt.received_at ?? stmt.issued_at;
  if (entry.valid_until && !(typeof made === "string" && made < entry.valid_until)) return { ok: false, reason: "made after the key was retired" };
  const key = b64urlDecode(stmt.signer.public_key);
  const sig = b64urlDecode(stmt.signature);
  if (!key || key.length !== 32 || !sig || sig.length !== 64) return { ok: false, reason: "bad key or signature encoding" };
  const unsigned = Object.create(null);
  for (const k of Object.keys(stmt)) if (k !== "signature") unsigned[k] = stmt[k];
  const verdict = await verifyStrict(key, sig, utf8(`${format}\n${canonicalize(unsigned)}`));
  if (verdict === "unavailable") return { ok: false, reason: "unavailable" };
  return verdict === "ok" ? { ok: true, reason: null } : { ok: false, reason: verdict };
}

/**
 * Verifies a bundle (`ecmr-bundle/1`) from its JSON text against gateway keys: the document (as
 * verifyDocument), every receipt and attestation, that each receipt fits the document and every event has one.
 * Answers the document's report with `receipts: [{seq, ok, reason, receipt}]`, `attestations: [{ok, reason,
 * attestation}]` and each event's `receipt` (its check) added.
 */
export async function verifyBundle(text, gatewayKeys) {
  let bundle;
  try { bundle = parseStrict(text); } catch (e) { return { valid: false, failures: [{ failure: "malformed", seq: null, detail: e.message }], events: [], receipts: [], attestations: [] }; }
  if (!isObj(bundle) || bundle.format !== "ecmr-bundle/1") return { valid: false, failures: [{ failure: "unknown_format", seq: null, detail: "not an ecmr-bundle/1" }], events: [], receipts: [], attestations: [] };
  const report = await verifyDocument(bundle.document);
  report.receipts = [];
  report.attestations = [];
  for (const r of Array.isArray(bundle.receipts) ? bundle.receipts : []) {
    const check = await verifyStatement(r, "ecmr-receipt/1", gatewayKeys);
    if (check.ok) {
      const docId = isObj(bundle.document) ? bundle.document.id : undefined;
      if (r.document_id !== docId) Object.assign(check, { ok: false, reason: "for another document" });
      else if (report.digests[r.seq] !== r.event_digest) Object.assign(check, { ok: false, reason: `event ${r.seq} has another digest` });
    }
    report.receipts.push({ seq: r.seq, ...check, receipt: r });
  }
  for (const a of Array.isArray(bundle.attestations) ? bundle.attestations : []) {
    report.attestations.push({ ...(await verifyStatement(a, "ecmr-attestation/1", gatewayKeys)), attestation: a });
  }
  report.events.forEach((ev, i) => {
    const mine = report.receipts.filter((r) => r.seq === i);
    ev.receipt = mine.find((r) => r.ok) ?? mine[0] ?? null;
    if (!ev.receipt) ev.reasons.push("no_receipt");
    else if (!ev.receipt.ok) ev.reasons.push(`receipt: ${ev.receipt.reason}`);
    ev.ok = ev.ok && ev.receipt !== null && ev.receipt.ok;
  });
  report.valid = report.valid && report.events.every((e) => e.ok) && report.attestations.every((a) => a.ok);
  return report;
}
