// Missed and abandoned calls, on the desk and on the board: who called, when, how long
// they waited, who called back. "Call back" claims the call on the server (the first
// agent wins; the others are told who took it) and rings the agent's phone, then the caller.
// Text from callers and agents only goes in through textContent.

import { MESSAGES } from "./messages.js";

// The board has no translations of its own: the desk's English words stand in.
const ENGLISH = MESSAGES.en;

function english(key, vars = {}) {
  return (ENGLISH[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

async function request(method, path) {
  const response = await fetch(path, { method, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, body };
}

export class MissedCalls {
  // root: an element to fill; label(key, vars): the page's translations (English if none);
  // callable: whether this user may call back from here (an agent with a phone).
  constructor(root, { label = english, callable = true, every = 15000 } = {}) {
    this.root = root;
    this.label = (key, vars) => {
      const text = label(key, vars);
      return text === key ? english(key, vars) : text;
    };
    this.callable = callable;
    this.status = node("p", "missed-status");
    this.status.setAttribute("role", "status");
    this.list = node("ul", "missed-list");
    root.replaceChildren(this.status, this.list);
    this.timer = setInterval(() => this.load(), every);
  }

  async load() {
    const { ok, body } = await request("GET", "/api/missed-calls?limit=20");
    if (!ok) return;
    this.render(body.items);
  }

  render(items) {
    this.list.replaceChildren(...items.map((item) => this.row(item)));
    if (!items.length) this.list.append(node("li", "missed-none", this.label("missed.none")));
  }

  row(item) {
    const li = node("li", "missed-call");
    li.dataset.missedId = String(item.id);
    const who = item.customer ? `${item.customer.name} (${item.caller.number})` : item.caller.number;
    li.append(node("strong", "missed-who", who));
    const at = new Date(item.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    li.append(node("span", "missed-when", at));
    li.append(node("span", "missed-outcome", this.label(`missed.${item.outcome}`)));
    if (item.waited_seconds !== null) {
      const seconds = Math.round(item.waited_seconds);
      li.append(node("span", "missed-waited", this.label("missed.waited", { seconds })));
    }
    li.append(this.state(item));
    return li;
  }

  state(item) {
    if (item.claimed_by) {
      const text = this.label("missed.taken_by", { name: item.claimed_by.name || "" });
      return node("span", "missed-taken", text);
    }
    if (item.called_back) return node("span", "missed-taken", this.label("missed.called_back"));
    if (!this.callable) return node("span", "missed-open", "");
    const button = node("button", "missed-call-back", this.label("missed.call_back"));
    button.type = "button";
    button.addEventListener("click", () => this.callBack(item, button));
    return button;
  }

  async callBack(item, button) {
    button.disabled = true;
    const { ok, body } = await request("POST", `/api/missed-calls/${item.id}/callback`);
    this.status.dataset.state = ok ? "ok" : "error";
    this.status.textContent = ok
      ? this.label("missed.calling", { number: item.caller.number })
      : (body.error && body.error.message) || "";
    await this.load();
  }
}
