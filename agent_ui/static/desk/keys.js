// Keyboard shortcuts (Alt+letter, by key position so they work on any layout):
// A accept the newest ringing call, D its outcome, N a note, R ready, C the dial box.

import { $ } from "./dom.js";

export function setupShortcuts(actions) {
  const byCode = {
    KeyA: actions.accept,
    KeyD: actions.disposition,
    KeyN: actions.note,
    KeyR: actions.ready,
    KeyC: () => $("#dial-number").focus(),
  };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const action = byCode[event.code];
    if (!action || $("#desk").hidden) return;
    event.preventDefault();
    action();
  });
}
