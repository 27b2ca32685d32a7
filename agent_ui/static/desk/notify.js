// A new pop while the tab is hidden: a desktop notification and a short two-tone sound
// (made with WebAudio, no sound file). Both can be turned off; the choice is kept per browser.
// With the desk in several tabs only one of them announces a call.

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { claim } from "./tabs.js";

const PREFS_KEY = "cti.notify";
let audio = null;

function prefs() {
  try {
    return { notify: false, sound: true, ...JSON.parse(localStorage.getItem(PREFS_KEY) || "{}") };
  } catch (_error) {
    return { notify: false, sound: true };
  }
}

function savePrefs(value) {
  localStorage.setItem(PREFS_KEY, JSON.stringify(value));
}

export function setupNotifications() {
  const current = prefs();
  const notify = $("#notify");
  const sound = $("#sound");
  notify.checked = current.notify && "Notification" in window && Notification.permission === "granted";
  sound.checked = current.sound;
  notify.addEventListener("change", async () => {
    if (notify.checked && "Notification" in window && Notification.permission !== "granted") {
      notify.checked = (await Notification.requestPermission()) === "granted";
    }
    savePrefs({ ...prefs(), notify: notify.checked });
  });
  sound.addEventListener("change", () => savePrefs({ ...prefs(), sound: sound.checked }));
  // Browsers allow audio only after a user gesture: prepare it on the first one.
  const unlock = () => {
    if (!audio && "AudioContext" in window) audio = new AudioContext();
    if (audio && audio.state === "suspended") audio.resume();
  };
  document.addEventListener("pointerdown", unlock, { once: true });
  document.addEventListener("keydown", unlock, { once: true });
}

function beep() {
  if (!audio) return;
  const start = audio.currentTime;
  [880, 660].forEach((frequency, index) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    const at = start + index * 0.18;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
    tone.connect(gain).connect(audio.destination);
    tone.start(at);
    tone.stop(at + 0.16);
  });
}

export function announce(card, focus) {
  if (!document.hidden || !claim(`pop.${card.callId}`)) return;
  const current = prefs();
  if (current.sound) beep();
  if (current.notify && "Notification" in window && Notification.permission === "granted") {
    const caller = card.pop.caller;
    const who = (card.customer && card.customer.name) || caller.name || caller.number || t("caller.withheld");
    const notification = new Notification(t("notify.title", { who }), {
      body: [caller.number, card.pop.queue].filter(Boolean).join(" · "),
      tag: card.callId, // the same call never stacks two notifications
    });
    notification.addEventListener("click", () => {
      window.focus();
      focus(card);
      notification.close();
    });
  }
}
