// Laying out what the gateway sent on the page: the 24 boxes (as `/inspect/layout` and `/share/open` give them),
// the goods table and what has no box; and #status. Shared by the inspector app and the driver view. Text is always
// set as text, never as markup.

import { locale } from "./i18n.js";

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Says `text` in #status as `kind` (info, error or good); the empty text hides it. */
export function status(text, kind = "info") {
  const s = $("status");
  s.textContent = text || "";
  s.className = `status ${kind}`;
}

/** An element with a class and text. */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

/** Empties an element. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Fills #boxes, #goods-card and #trailer-card from a NoteView; `notProvided` is said in boxes not given. */
export function renderNote(view, notProvided) {
  const boxes = document.getElementById("boxes");
  clear(boxes);
  for (const b of view.boxes) {
    if (b.number >= 6 && b.number <= 12) continue;
    const box = el("section", b.lines ? "box" : "box missing");
    box.setAttribute("aria-label", `${b.number}. ${b.label}`);
    const head = el("h4", "box-label");
    head.append(el("span", "box-no", String(b.number)), el("span", null, b.label));
    box.append(head);
    if (b.lines) {
      for (const line of b.lines) box.append(el("p", "line", line));
    } else {
      box.append(el("p", "line none", notProvided));
    }
    boxes.append(box);
  }
  const goodsCard = document.getElementById("goods-card");
  const table = document.getElementById("goods");
  clear(table);
  document.getElementById("goods-heading").textContent = `6–12 ${view.goods_heading}`;
  const notes = document.getElementById("goods-notes");
  clear(notes);
  if (view.goods) {
    const head = el("tr");
    view.goods_columns.forEach((c, i) => head.append(el("th", null, `${6 + i} ${c}`)));
    const thead = el("thead");
    thead.append(head);
    const body = el("tbody");
    for (const row of view.goods) {
      const tr = el("tr");
      row.forEach((cell, i) => {
        const td = el("td", i >= 5 ? "num" : null, cell);
        td.dataset.label = view.goods_columns[i];
        tr.append(td);
      });
      body.append(tr);
    }
    table.append(thead, body);
  } else {
    const tr = el("tr");
    tr.append(el("td", "none", notProvided));
    table.append(tr);
  }
  for (const n of view.goods_notes) notes.append(el("li", null, n));
  goodsCard.hidden = false;
  const trailerCard = document.getElementById("trailer-card");
  const trailer = document.getElementById("trailer");
  clear(trailer);
  for (const [heading, lines] of view.trailer) {
    trailer.append(el("dt", null, heading));
    for (const l of lines) trailer.append(el("dd", null, l));
  }
  trailerCard.hidden = view.trailer.length === 0;
}

/** A time for people: local date and time in the page's language. */
export function when(text, lang) {
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) return text;
  return t.toLocaleString(locale(lang), { dateStyle: "medium", timeStyle: "short" });
}
