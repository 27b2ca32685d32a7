// The desk open in several tabs of one browser: every tab shows every pop (each has its own
// socket), the cards survive a reload (sessionStorage, per tab), and what one tab saves or
// sets is told to the others (BroadcastChannel) so nothing is logged twice.

const CARDS_KEY = "cti.cards";
const channel = "BroadcastChannel" in window ? new BroadcastChannel("cti-desk") : null;
const listeners = [];

if (channel) channel.addEventListener("message", (event) => listeners.forEach((fn) => fn(event.data)));

export function tell(message) {
  if (channel) channel.postMessage(message);
}

export function listen(fn) {
  listeners.push(fn);
}

export function saveCards(snapshot) {
  try {
    sessionStorage.setItem(CARDS_KEY, JSON.stringify(snapshot));
  } catch (_error) {
    // Storage full or disabled: the cards are still on the page, only a reload loses them.
  }
}

export function loadCards() {
  try {
    return JSON.parse(sessionStorage.getItem(CARDS_KEY) || "[]");
  } catch (_error) {
    return [];
  }
}

export function forgetCards() {
  sessionStorage.removeItem(CARDS_KEY);
}

// One tab announces a call (sound, notification): the first to claim it in localStorage.
export function claim(key) {
  const name = `cti.claim.${key}`;
  if (localStorage.getItem(name)) return false;
  localStorage.setItem(name, String(Date.now()));
  setTimeout(() => localStorage.removeItem(name), 60000);
  return true;
}
