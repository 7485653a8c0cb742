// The driver view of a share link (`/share/#t=<token>`): the note in boxes, its state and events, and the QR code
// the inspector scans. The token stays in the fragment (never sent in a URL) and goes to the gateway in the body
// of `POST /share/open`. Nothing is stored in the browser but the chosen language.

import { chosenLanguage, keepLanguage, translatePage, words } from "./i18n.js";
import { $, clear, el, renderNote, status, when } from "./view.js";

let lang = chosenLanguage();

function token() {
  const params = new URLSearchParams(location.hash.slice(1));
  return params.get("t") || "";
}

async function load() {
  const w = words(lang);
  translatePage(lang);
  $("lang").value = lang;
  status(w.loading);
  const resp = await fetch(`/share/open?lang=${lang}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit", cache: "no-store",
    body: JSON.stringify({ token: token() }),
  });
  if (!resp.ok) {
    $("note").hidden = true;
    let detail = "";
    if (resp.status === 429) { try { detail = ` (${(await resp.json()).detail})`; } catch { detail = ""; } }
    status(`${w.linkGone}${detail}`, "error");
    document.body.dataset.ready = "true";
    return;
  }
  const v = await resp.json();
  status("");
  $("qr").src = `data:image/svg+xml;base64,${btoa(v.qr_svg)}`;
  $("qr").alt = v.qr_payload;
  $("note-title").textContent = `${v.note.title} ${v.note_number}`;
  $("note-meta").textContent = `${w.stateWord}: ${w.states[v.state] ?? v.state}`;
  $("valid-until").textContent = `${w.validUntil} ${when(v.expires_at, lang)}`;
  renderNote(v.note, "—");
  const list = $("events");
  clear(list);
  for (const e of v.events) {
    const li = el("li", "event");
    li.append(el("h4", null, `${e.seq}. ${w.kinds[e.kind] ?? e.kind} — ${w.roles[e.role] ?? e.role}`), el("p", null, when(e.received_at, lang)));
    list.append(li);
  }
  $("note").hidden = false;
  document.body.dataset.ready = "true";
}

$("lang").addEventListener("change", (e) => {
  lang = e.target.value;
  keepLanguage(lang);
  load();
});
window.addEventListener("hashchange", load);
load();
