// The inspector web app: sign in (the authority's token is exchanged for an HttpOnly session cookie and never
// kept by the page), find a consignment note (UIL typed or pasted, the QR code's link or text, the camera or a
// photo, or a search by identifier), read it in the 24 boxes of the paper form, check its signatures here in the
// browser, and send a follow-up. Every request is an authority request of the gateway's own API, audited there.

import { chosenLanguage, failureText, fill, keepLanguage, translatePage, words } from "./i18n.js";
import { $, clear, el, renderNote, status, when } from "./view.js";
import { ed25519Available, verifyBundle } from "./verify.js";

let lang = chosenLanguage();
let w = words(lang);
let session = null;
let current = null; // {uil: {gateId, platformId, datasetId}, qr: {seq, digest} | null, requestId}
let pending = null;

// ------------------------------------------------------------------------------------------------------------
// Requests: same origin, the session cookie, and the header that marks them as the app's own.

async function call(method, path, { json, body, accept, contentType } = {}) {
  const headers = { "X-Ecmr-Inspector": "1" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (contentType) headers["Content-Type"] = contentType;
  if (accept) headers.Accept = accept;
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: json !== undefined ? JSON.stringify(json) : body,
  });
  return resp;
}

async function problem(resp) {
  try {
    const p = await resp.json();
    return p.detail || p.errorDescription || p.title || `${resp.status}`;
  } catch {
    return `${resp.status} ${resp.statusText}`;
  }
}

// ------------------------------------------------------------------------------------------------------------
// The UIL in a link's fragment (#uil=…&seq=…&digest=…), in the text form (ecmr:uil=…;seq=…;digest=…), or as
// gate/platform/dataset.

function decodeId(s) {
  try { return decodeURIComponent(s); } catch { return null; }
}

/** Reads a UIL with its optional seq and digest from what was typed, pasted or scanned; null if it is none. */
export function parseUil(text) {
  let t = (text || "").trim();
  let params = null;
  const hash = t.indexOf("#");
  if (/^https?:\/\//.test(t) && hash >= 0) t = t.slice(hash + 1);
  else if (t.startsWith("#")) t = t.slice(1);
  if (t.startsWith("uil=") || t.includes("&uil=")) {
    params = new Map(t.split("&").map((p) => { const i = p.indexOf("="); return i < 0 ? [p, ""] : [p.slice(0, i), p.slice(i + 1)]; }));
  } else if (t.startsWith("ecmr:")) {
    params = new Map(t.slice(5).split(";").map((p) => { const i = p.indexOf("="); return i < 0 ? [p, ""] : [p.slice(0, i), p.slice(i + 1)]; }));
  }
  const uilText = params ? params.get("uil") : t;
  if (!uilText) return null;
  const parts = uilText.split("/");
  if (parts.length !== 3) return null;
  const [gateId, platformId, datasetId] = parts.map(decodeId);
  if (!gateId || !platformId || !datasetId) return null;
  let qr = null;
  if (params && params.has("seq") && params.has("digest")) {
    const seq = Number(params.get("seq"));
    const digest = decodeId(params.get("digest"));
    if (Number.isSafeInteger(seq) && seq >= 0 && /^sha256:[0-9a-f]{64}$/.test(digest)) qr = { seq, digest };
  }
  return { uil: { gateId, platformId, datasetId }, qr };
}

// ------------------------------------------------------------------------------------------------------------
// Screens.

function show(screen) {
  for (const id of ["signin", "find", "note"]) $(id).hidden = id !== screen;
  $("who").hidden = session === null;
  const focus = { signin: "token", find: "uil", note: "back" }[screen];
  window.scrollTo(0, 0);
  if (focus) $(focus).focus({ preventScroll: true });
}

function setLanguage(next) {
  lang = next;
  w = words(lang);
  keepLanguage(lang);
  $("lang").value = lang;
  translatePage(lang);
  if (current && !$("note").hidden) openNote(current.uil, current.qr);
}

async function loadSession() {
  const resp = await call("GET", "/inspect/session");
  session = resp.ok ? await resp.json() : null;
  if (session) $("who-name").textContent = `${session.name}${session.country ? ` (${session.country})` : ""} — ${w.entitled}: ${session.subsets.join(", ")}`;
  return session;
}

async function signIn(ev) {
  ev.preventDefault();
  const input = $("token");
  const token = input.value;
  input.value = "";
  status(w.loading);
  const resp = await call("POST", "/inspect/session", { json: { token } });
  if (!resp.ok) { status(`${w.error}: ${await problem(resp)}`, "error"); input.focus(); return; }
  await loadSession();
  status("");
  if (pending) { const p = pending; pending = null; await openNote(p.uil, p.qr); } else show("find");
}

async function signOut() {
  await call("DELETE", "/inspect/session");
  session = null;
  current = null;
  clear($("result-list"));
  $("results").hidden = true;
  show("signin");
  status(w.signedOut);
}

// ------------------------------------------------------------------------------------------------------------
// Finding a note.

async function openTyped(ev) {
  ev.preventDefault();
  const parsed = parseUil($("uil").value);
  if (!parsed) { status(`${w.error}: ${w.uilHelp}`, "error"); return; }
  await openNote(parsed.uil, parsed.qr);
}

async function search(ev) {
  ev.preventDefault();
  const body = { identifier: $("identifier").value.trim(), identifierType: [] };
  const country = $("country").value.trim().toUpperCase();
  if (country) body.registrationCountryCode = country;
  if ($("mode").value) body.modeCode = $("mode").value;
  if ($("dg").value) body.dangerousGoodsIndicator = $("dg").value === "true";
  status(w.loading);
  // The identifier search, with what the list shows of each consignment found here (number, parties, state).
  const resp = await call("POST", "/inspect/search", { json: body });
  if (resp.status === 401) { session = null; show("signin"); status(`${w.error}: ${await problem(resp)}`, "error"); return; }
  const found = resp.ok ? await resp.json() : { answer: { detail: await problem(resp) }, notes: [] };
  const answer = found.answer;
  if (!resp.ok || answer.status !== "COMPLETE") { status(`${w.error}: ${answer.errorDescription || answer.detail || resp.status}`, "error"); return; }
  status("");
  const list = $("result-list");
  clear(list);
  answer.identifiers.forEach((hit, i) => {
    const note = found.notes[i] || {};
    const li = el("li");
    const button = el("button", "result");
    button.type = "button";
    const vehicles = hit.mainCarriageTransportMovement.map((m) => `${m.id}${m.registrationCountryCode ? ` (${m.registrationCountryCode})` : ""}${m.dangerousGoodsIndicator ? " ⚠ ADR" : ""}`);
    const equipment = hit.usedTransportEquipment.map((e) => e.id);
    const title = note.number ? `${w.number} ${note.number}` : hit.datasetId;
    button.append(el("strong", null, note.state ? `${title} — ${w.states[note.state] || note.state}` : title));
    if (note.sender) button.append(el("span", null, `${w.sender}: ${note.sender}`));
    if (note.carrier) button.append(el("span", null, `${w.carrier}: ${note.carrier}`));
    for (const warning of note.identity_warnings || []) button.append(el("span", "identity", `⚠ ${w.identityWarning}: ${warning}`));
    button.append(
      el("span", null, `${w.vehicle}: ${[...vehicles, ...equipment].join(", ") || "—"}`),
      el("span", null, `${w.gate}: ${hit.gateId} / ${hit.platformId}`),
    );
    if (hit.carrierAcceptanceDatetime) button.append(el("span", null, `${w.kinds.taken_over}: ${when(hit.carrierAcceptanceDatetime, lang)}`));
    if (hit.deliveryEventActualOccurrenceDatetime) button.append(el("span", null, `${w.kinds.delivered}: ${when(hit.deliveryEventActualOccurrenceDatetime, lang)}`));
    button.addEventListener("click", () => openNote({ gateId: hit.gateId, platformId: hit.platformId, datasetId: hit.datasetId }, null));
    li.append(button);
    list.append(li);
  });
  if (answer.identifiers.length === 0) list.append(el("li", "none", w.noResults));
  $("results").hidden = false;
  list.querySelector("button")?.focus();
}

// ------------------------------------------------------------------------------------------------------------
// Scanning: the camera with BarcodeDetector where the browser has it, or a photo.

let stream = null;

async function detector() {
  if (!("BarcodeDetector" in window)) return null;
  const formats = await window.BarcodeDetector.getSupportedFormats();
  return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
}

async function scanned(text) {
  stopCamera();
  const parsed = parseUil(text);
  if (!parsed) { status(`${w.error}: ${text}`, "error"); return; }
  $("uil").value = text;
  await openNote(parsed.uil, parsed.qr);
}

function stopCamera() {
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  $("camera").hidden = true;
  $("scan").textContent = w.scan;
}

async function scan() {
  if (stream) { stopCamera(); return; }
  const d = await detector();
  if (!d || !navigator.mediaDevices) { status(w.noCamera, "error"); return; }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (e) {
    status(`${w.error}: ${e.message}`, "error");
    return;
  }
  const video = $("camera");
  video.srcObject = stream;
  video.hidden = false;
  $("scan").textContent = w.scanStop;
  await video.play();
  const tick = async () => {
    if (!stream) return;
    const codes = await d.detect(video).catch(() => []);
    if (codes.length > 0) { await scanned(codes[0].rawValue); return; }
    setTimeout(tick, 250);
  };
  tick();
}

async function photo(ev) {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  const d = await detector();
  if (!d) { status(w.noCamera, "error"); return; }
  const codes = await d.detect(await createImageBitmap(file)).catch(() => []);
  if (codes.length === 0) { status(w.noQrFound, "error"); return; }
  await scanned(codes[0].rawValue);
}

// ------------------------------------------------------------------------------------------------------------
// The note.

function b64ToText(b64) {
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

async function openNote(uil, qr) {
  if (!session) { pending = { uil, qr }; show("signin"); return; }
  current = { uil, qr, requestId: null };
  status(w.loading);
  const full = session.subsets.includes("full");
  const subsets = full ? ["full"] : session.subsets;
  const resp = await call("POST", "/v1/control/uil", { json: { ...uil, subsetId: subsets } });
  if (resp.status === 401) { session = null; pending = { uil, qr }; show("signin"); status(`${w.error}: ${await problem(resp)}`, "error"); return; }
  const answer = await resp.json().catch(() => ({}));
  if (!resp.ok || answer.status !== "COMPLETE" || !answer.data) {
    status(`${w.error}: ${answer.errorDescription || answer.detail || answer.errorCode || resp.status}`, "error");
    return;
  }
  current.requestId = answer.requestId;
  const xml = b64ToText(answer.data);
  const laid = await call("POST", `/inspect/layout?lang=${lang}`, { body: xml, contentType: "application/xml" });
  if (!laid.ok) { status(`${w.error}: ${await problem(laid)}`, "error"); return; }
  const view = await laid.json();
  $("note-title").textContent = `${view.title} ${view.number ?? ""}`.trim();
  $("note-meta").textContent = `UIL ${uil.gateId}/${uil.platformId}/${uil.datasetId} — ${w.subsetsShown}: ${subsets.join(", ")}`;
  renderNote(view, full ? "—" : `(${w.notProvided})`);
  clear($("follow-ups"));
  $("follow-up").value = "";
  show("note");
  history.replaceState(null, "", `#uil=${[uil.gateId, uil.platformId, uil.datasetId].map(encodeURIComponent).join("/")}${qr ? `&seq=${qr.seq}&digest=${qr.digest}` : ""}`);
  if (full) await verifyHere(uil, qr);
  else {
    banner("verify-banner", w.verifiedByGateway, "info");
    $("events-card").hidden = true;
    $("gateway-key").textContent = "";
    $("qr-check").hidden = true;
  }
  status("");
}

function banner(id, text, kind) {
  const b = $(id);
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = false;
}

async function verifyHere(uil, qr) {
  const known = await (await call("GET", "/.well-known/ecmr-gateway")).json();
  const keys = known.gateway_keys;
  $("gateway-key").textContent = `${w.gatewayKey} (${known.gate_id}): ${keys.map((k) => k.public_key + (k.valid_until ? ` ≤ ${k.valid_until}` : "")).join(", ")}`;
  const path = `/v1/uil/${[uil.gateId, uil.platformId, uil.datasetId].map(encodeURIComponent).join("/")}`;
  const resp = await call("GET", path, { accept: "application/vnd.ecmr.bundle+json" });
  if (!resp.ok) { banner("verify-banner", `${w.error}: ${await problem(resp)}`, "bad"); return; }
  const report = await verifyBundle(await resp.text(), keys);
  const canCheck = await ed25519Available();
  if (!canCheck) banner("verify-banner", w.cannotCheck, "warn");
  else if (report.valid) banner("verify-banner", `✔ ${w.allGood}`, "good");
  else banner("verify-banner", `✘ ${w.notGood} ${report.failures.map((f) => `${f.failure}${f.seq !== null ? ` @${f.seq}` : ""}`).join(", ")}`, "bad");
  renderEvents(report, canCheck);
  compareQr(report, qr);
}

function compareQr(report, qr) {
  if (!qr) { $("qr-check").hidden = true; return; }
  const at = report.digests[qr.seq];
  const last = report.digests.length - 1;
  if (at === undefined) banner("qr-check", fill(w.qrNoEvent, { seq: qr.seq }), "bad");
  else if (at !== qr.digest) banner("qr-check", fill(w.qrMismatch, { seq: qr.seq }), "bad");
  else if (qr.seq !== last) banner("qr-check", fill(w.qrMoved, { seq: qr.seq, last }), "warn");
  else banner("qr-check", `✔ ${w.qrMatch}`, "good");
}

function renderEvents(report, canCheck) {
  const list = $("events");
  clear(list);
  for (const e of report.events) {
    const li = el("li", "event");
    li.dataset.seq = String(e.seq);
    const mark = canCheck ? (e.ok ? "✔" : "✘") : "?";
    const verdict = el("span", `verdict ${canCheck ? (e.ok ? "good" : "bad") : "warn"}`, mark);
    verdict.setAttribute("aria-label", canCheck ? (e.ok ? "verified" : "not verified") : "cannot check here");
    const title = el("h4");
    title.append(verdict, el("span", null, ` ${e.seq}. ${w.kinds[e.kind] ?? e.kind} — ${w.roles[e.role] ?? e.role}`));
    li.append(title);
    const identity = e.receipt?.receipt?.signer_identity;
    li.append(el("p", null, `${w.signer}: ${identity ? `${identity.name} (${identity.country}) — ${w.attested}` : w.notAttested} · key ${e.key_id ? e.key_id.slice(0, 16) : "?"}…`));
    li.append(el("p", null, `${w.time}: ${when(e.at, lang)}`));
    const ev = e.data;
    if (ev) {
      if (ev.place) li.append(el("p", null, `${w.place}: ${[ev.place.name, ev.place.address?.city, ev.place.address?.country].filter(Boolean).join(", ")}`));
      for (const r of ev.reservations ?? []) li.append(el("p", "reservation", `${w.reservations}: ${r.text} (${r.grounds})`));
    }
    if (e.receipt?.receipt) {
      const r = e.receipt.receipt;
      li.append(el("p", "help", `${w.receipt}: ${w.receivedAt} ${when(r.received_at, lang)}, ${w.postedBy} ${r.posted_by?.name || "?"} ${e.receipt.ok ? "✔" : `✘ ${e.receipt.reason}`}`));
    }
    if (canCheck && !e.ok) for (const r of e.reasons) li.append(el("p", "reason", `✘ ${failureText(lang, r)}`));
    list.append(li);
  }
  $("events-card").hidden = false;
}

async function sendFollowUp(ev) {
  ev.preventDefault();
  if (!current?.requestId) return;
  const message = $("follow-up").value.trim();
  if (!message) return;
  const resp = await call("POST", "/v1/control/uil/follow-up", { json: { message, requestId: current.requestId } });
  const answer = await resp.json().catch(() => ({}));
  if (!resp.ok) { status(`${w.error}: ${answer.errorDescription || answer.detail || answer.message || resp.status}`, "error"); return; }
  $("follow-ups").append(el("li", null, `${w.sent} ${message}`));
  $("follow-up").value = "";
  status(w.sent, "good");
}

// ------------------------------------------------------------------------------------------------------------

async function start() {
  $("lang").value = lang;
  translatePage(lang);
  $("lang").addEventListener("change", (e) => setLanguage(e.target.value));
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("uil-form").addEventListener("submit", openTyped);
  $("search-form").addEventListener("submit", search);
  $("scan").addEventListener("click", scan);
  $("photo").addEventListener("change", photo);
  $("back").addEventListener("click", () => { current = null; history.replaceState(null, "", "#"); show("find"); });
  $("follow-up-form").addEventListener("submit", sendFollowUp);
  window.addEventListener("hashchange", () => {
    const p = parseUil(location.hash);
    if (p && (!current || p.uil.datasetId !== current.uil.datasetId)) openNote(p.uil, p.qr);
  });
  const fromLink = location.hash.length > 1 ? parseUil(location.hash) : null;
  await loadSession();
  if (fromLink) await openNote(fromLink.uil, fromLink.qr);
  else show(session ? "find" : "signin");
  document.body.dataset.ready = "true";
}

start();
