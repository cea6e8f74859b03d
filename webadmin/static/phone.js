// The workbench's phone panel (workbench/_phone.html) around softphone.js.
//
// The panel's texts are all in the template (one element per state, shown or hidden
// here), so this file carries no words a translation would need. Each phone state
// change is also told to the rest of the page as a "ccc:phone" event on document:
// {detail: {state: "registered" | "unregistered" | "ringing" | "talking" | "held" |
// "idle", ...the call's number, dialled number, direction}}.
const panel = document.getElementById("phone");
const RETRY_MS = 5000;

function show(group, state) {
  for (const element of panel.querySelectorAll(`${group} [data-shows]`)) {
    element.hidden = element.dataset.shows !== state;
  }
}

function tell(state, detail = {}) {
  panel.dataset.state = state;
  document.dispatchEvent(new CustomEvent("ccc:phone", { detail: { state, ...detail } }));
}

// Which controls make sense in each call state (anything else is disabled).
const ENABLED = {
  idle: ["dial"],
  ringing: ["answer", "hangup"],
  calling: ["hangup"],
  talking: ["hangup", "hold", "mute", "keypad", "transfer"],
  held: ["hangup", "retrieve", "mute", "transfer"],
};

class PhonePanel {
  constructor(phone) {
    this.phone = phone;
    this.registered = false;
    this.call = "idle";
    this.timer = null;
    this.incoming = panel.querySelector(".phone-incoming");
    this.callLine = panel.querySelector(".phone-call");
    this.clock = panel.querySelector(".phone-timer");
  }

  bind(events) {
    events.addEventListener("registered", () => this.#registration("registered"));
    // A refused REGISTER ends unregistered too, with the refusal's status code.
    events.addEventListener("unregistered", (event) => this.#registration(
      event.detail.code ? "refused" : "unregistered"));
    events.addEventListener("refused", () => this.#registration("refused"));
    events.addEventListener("ringing", (event) => this.#ringing(event.detail));
    events.addEventListener("calling", (event) => this.#calling(event.detail));
    events.addEventListener("talking", (event) => this.#inCall("talking", event.detail));
    events.addEventListener("held", (event) => this.#inCall("held", event.detail));
    events.addEventListener("idle", () => this.#idle());
    events.addEventListener("muted", (event) => this.#muted(event.detail.muted));
    panel.querySelector(".phone-buttons").addEventListener("click", (event) => {
      const action = event.target.closest("button")?.dataset.action;
      if (action) this.#act(action);
    });
    panel.querySelector(".phone-keypad").addEventListener("click", (event) => {
      const key = event.target.closest("button")?.dataset.key;
      if (key) this.phone.sendDtmf(key).catch(() => {});
    });
    panel.querySelector(".phone-dial").addEventListener("submit", (event) => {
      event.preventDefault();
      const number = event.target.elements.number.value.trim();
      if (number) this.phone.call(number).catch(() => this.#idle());
    });
    this.#controls();
  }

  #act(action) {
    const phone = this.phone;
    const done = {
      answer: () => phone.answer(),
      hangup: () => phone.hangUp(),
      hold: () => phone.hold(true),
      retrieve: () => phone.hold(false),
      mute: () => phone.mute(!phone.muted),
      // Blind: the other side is sent to the number typed, and this phone is free.
      transfer: () => phone.transfer(panel.querySelector("#phone-number").value.trim()),
    }[action];
    // A refused hold or a call gone meanwhile: the next event puts the panel right.
    Promise.resolve(done?.()).catch(() => {});
  }

  #registration(state) {
    this.registered = state === "registered";
    show(".phone-registration", state);
    this.#controls();
    tell(state === "refused" ? "unregistered" : state, { refused: state === "refused" });
  }

  #ringing(call) {
    this.call = "ringing";
    this.incoming.querySelector(".phone-caller").textContent = call.number || call.name;
    this.incoming.querySelector(".phone-dialled").textContent = call.dialled;
    this.incoming.hidden = false;
    this.#controls();
    tell("ringing", call);
  }

  #calling(call) {
    this.call = "calling";
    this.#callLine("calling", call);
    this.#controls();
  }

  #inCall(state, call) {
    this.call = state;
    this.incoming.hidden = true;
    this.#callLine(state, call);
    if (!this.timer) this.#startTimer(call.since ?? Date.now());
    this.#controls();
    tell(state, call);
  }

  #idle() {
    this.call = "idle";
    this.incoming.hidden = true;
    this.callLine.hidden = true;
    clearInterval(this.timer);
    this.timer = null;
    this.clock.textContent = "0:00";
    this.#muted(false);
    this.#controls();
    tell("idle");
  }

  #callLine(state, call) {
    show(".phone-call", state);
    this.callLine.querySelector(".phone-peer").textContent = call.number;
    this.callLine.hidden = false;
  }

  #muted(on) {
    panel.querySelector(".phone-muted").hidden = !on;
    panel.querySelector("[data-action=mute]").setAttribute("aria-pressed", String(on));
  }

  #startTimer(since) {
    const tick = () => {
      const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
      this.clock.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    };
    tick();
    this.timer = setInterval(tick, 1000);
  }

  #controls() {
    const enabled = new Set(this.registered ? ENABLED[this.call] : []);
    for (const button of panel.querySelectorAll(".phone-buttons button")) {
      button.disabled = !enabled.has(button.dataset.action);
    }
    for (const button of panel.querySelectorAll(".phone-keypad button")) {
      button.disabled = !enabled.has("keypad");
    }
    panel.querySelector(".phone-dial button").disabled = !enabled.has("dial");
    // the number field also names a transfer's target
    panel.querySelector("#phone-number").disabled = !enabled.has("dial") && !enabled.has("transfer");
  }
}

// The library is imported only here, so a server without it (make not run) leaves the
// rest of the page working and the panel says the softphone is unavailable.
async function start() {
  if (!panel) return;
  try {
    const response = await fetch(panel.dataset.configUrl, {
      credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(`phone settings: HTTP ${response.status}`);
    const config = await response.json();
    const { Softphone } = await import("./softphone.js");
    const events = new EventTarget();
    const phone = new Softphone(config, events, panel.querySelector(".phone-audio"));
    new PhonePanel(phone).bind(events);
    window.addEventListener("pagehide", () => { phone.stop().catch(() => {}); });
    // The PBX restarting or the network dropping closes the WebSocket: try again every
    // few seconds, so calls ring here again once it is back.
    events.addEventListener("unregistered", (event) => {
      if (event.detail.lost) setTimeout(() => phone.start().catch(() => phone.lost()), RETRY_MS);
    });
    await phone.start().catch(() => phone.lost());
  } catch (error) {
    show(".phone-registration", "unavailable");
    tell("unregistered", { error: String(error) });
  }
}

start();
