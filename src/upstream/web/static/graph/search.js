// The search box: asset keys containing what is typed, best first; choosing one selects it.

import { G, STATUS, statusCode } from "./model.js";
import { select } from "./panel.js";
import { $, searchInput } from "./state.js";

const suggestions = $("search-results");
const { esc } = upstream;

let matches = [];
let active = 0;

function renderSuggestions() {
  const q = searchInput.value.trim().toLowerCase();
  if (!q) { hideSuggestions(); return; }
  // Prefix matches first, then matches at a "/" boundary, then anywhere; shorter first.
  const found = [];
  for (let i = 0; i < G.n; i++) {
    const at = G.lowerKeys[i].indexOf(q);
    if (at < 0) continue;
    const rank = at === 0 ? 0 : G.lowerKeys[i][at - 1] === "/" ? 1 : 2;
    found.push([rank, G.keys[i].length, i, at]);
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (G.keys[a[2]] < G.keys[b[2]] ? -1 : 1));
  matches = found.slice(0, 12);
  active = 0;
  if (!matches.length) {
    suggestions.innerHTML = '<li class="empty">no asset key contains this</li>';
  } else {
    suggestions.innerHTML = matches.map(([, , i, at], n) => {
      const key = G.keys[i];
      const marked = esc(key.slice(0, at)) + `<mark>${esc(key.slice(at, at + q.length))}</mark>` +
        esc(key.slice(at + q.length));
      return `<li role="option" data-index="${i}" class="${n === 0 ? "active" : ""}">` +
        `<i class="dot status-${STATUS[statusCode[i]]}"></i><span class="key">${marked}</span>` +
        `<span class="group">${esc(G.groups[i])}</span></li>`;
    }).join("") + (found.length > matches.length
      ? `<li class="empty">${(found.length - matches.length).toLocaleString()} more…</li>` : "");
  }
  suggestions.hidden = false;
  searchInput.setAttribute("aria-expanded", "true");
}

function hideSuggestions() {
  suggestions.hidden = true;
  searchInput.setAttribute("aria-expanded", "false");
}

function choose(i) {
  searchInput.value = G.keys[i];
  hideSuggestions();
  select(i, true);
}

searchInput.addEventListener("input", renderSuggestions);
searchInput.addEventListener("focus", () => { if (searchInput.value.trim()) renderSuggestions(); });
searchInput.addEventListener("blur", () => setTimeout(hideSuggestions, 150));
searchInput.addEventListener("keydown", (event) => {
  const items = suggestions.querySelectorAll("li[data-index]");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (!items.length) return;
    items[active].classList.remove("active");
    active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items[active].classList.add("active");
    items[active].scrollIntoView({ block: "nearest" });
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (matches.length) choose(matches[active][2]);
    else {
      const i = G.index.get(searchInput.value.trim());
      if (i !== undefined) choose(i);
    }
  } else if (event.key === "Escape") {
    hideSuggestions();
    searchInput.blur();
  }
});
// mousedown, not click: it fires before the input's blur hides the list.
suggestions.addEventListener("mousedown", (event) => {
  const item = event.target.closest("li[data-index]");
  if (!item) return;
  event.preventDefault();
  choose(Number(item.dataset.index));
});
