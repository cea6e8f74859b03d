// The agents' network check (workbench/network.html): measures in the agent's own
// browser what a working day needs, then asks the web app for the verdict.
//
// 1. Voice: the softphone signs in and calls the PBX's echo test; for a few seconds the
//    browser's own RTP counters (getStats) give the round trip (from the PBX's RTCP
//    reports), jitter and loss of what comes back, and the echo's audio energy shows
//    the voice went there and back.
// 2. Bandwidth: a bounded download and upload to the web app, timed.
// 3. Verdict: the figures go to the web app, which holds the requirements.
// The page's texts are in the template; this file writes numbers and shows elements.
const root = document.getElementById("network-check");
const SAMPLE_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function step(name) {
  for (const element of root.querySelectorAll(".check-progress [data-shows]")) {
    element.hidden = element.dataset.shows !== name;
  }
}

function figure(name, value, digits = 0, pass = null) {
  const cell = root.querySelector(`[data-figure="${name}"]`);
  cell.textContent = value === null ? "–" : value.toFixed(digits);
  const row = cell.closest("tr");
  row.classList.toggle("pass", pass === true);
  row.classList.toggle("fail", pass === false);
}

async function openPhone() {
  const response = await fetch(root.dataset.configUrl, { credentials: "same-origin",
                                                        cache: "no-store" });
  if (!response.ok) throw new Error(`phone settings: HTTP ${response.status}`);
  const { Softphone } = await import("./softphone.js");
  const events = new EventTarget();
  const phone = new Softphone(await response.json(), events, root.querySelector("audio"));
  const registered = new Promise((resolve, reject) => {
    events.addEventListener("registered", resolve, { once: true });
    events.addEventListener("refused", reject, { once: true });
    events.addEventListener("unregistered", reject, { once: true });
  });
  await phone.start();
  await registered;
  return { phone, events };
}

// Calls the echo test and samples its counters; returns the voice figures.
async function measureVoice(seconds) {
  const { phone, events } = await openPhone();
  try {
    const talking = new Promise((resolve, reject) => {
      events.addEventListener("talking", resolve, { once: true });
      events.addEventListener("rejected", reject, { once: true });
      events.addEventListener("idle", reject, { once: true });
    });
    await phone.call(root.dataset.echo);
    await talking;
    const first = await phone.stats();
    const roundTrips = [];
    let last = first;
    for (let i = 0; i < seconds; i += 1) {
      await sleep(SAMPLE_MS);
      last = await phone.stats();
      if (last.roundTripMs !== null) roundTrips.push(last.roundTripMs);
      root.querySelector("[data-figure=packets]").textContent = String(last.packetsReceived);
    }
    const received = last.packetsReceived - first.packetsReceived;
    const lost = last.packetsLost - first.packetsLost;
    return {
      roundTripMs: roundTrips.length
        ? roundTrips.reduce((sum, ms) => sum + ms, 0) / roundTrips.length : null,
      jitterMs: last.jitterMs,
      lossPercent: received + lost > 0 ? (100 * lost) / (received + lost) : null,
      packets: received,
      energy: last.totalAudioEnergy - first.totalAudioEnergy,
    };
  } finally {
    await phone.stop().catch(() => {});
  }
}

async function measureDownload() {
  const began = performance.now();
  const response = await fetch(root.dataset.downloadUrl, { cache: "no-store",
                                                           credentials: "same-origin" });
  const bytes = (await response.arrayBuffer()).byteLength;
  return (bytes * 8) / Math.max(performance.now() - began, 1);  // bits per ms = kbit/s
}

async function measureUpload() {
  const form = new FormData();
  form.append("csrf_token", root.dataset.csrf);
  form.append("data", new Blob([new Uint8Array(Number(root.dataset.uploadBytes))]), "probe");
  const began = performance.now();
  const response = await fetch(root.dataset.uploadUrl, { method: "POST", body: form,
                                                         credentials: "same-origin" });
  const { bytes } = await response.json();
  return (bytes * 8) / Math.max(performance.now() - began, 1);
}

async function askVerdict(figures) {
  const response = await fetch(root.dataset.verdictUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
    body: JSON.stringify(figures),
  });
  if (!response.ok) throw new Error(`verdict: HTTP ${response.status}`);
  return response.json();
}

async function run(button) {
  button.disabled = true;
  root.querySelector(".verdict-box").hidden = true;
  let voice = { roundTripMs: null, jitterMs: null, lossPercent: null, packets: 0, energy: 0 };
  try {
    step("voice");
    voice = await measureVoice(Number(root.dataset.seconds));
  } catch {
    // No call (the PBX unreachable, the microphone refused): the verdict says so.
  }
  const limits = root.dataset;
  figure("round_trip", voice.roundTripMs, 0,
         voice.roundTripMs === null ? false : voice.roundTripMs < Number(limits.maxRoundTrip));
  figure("jitter", voice.jitterMs, 1);
  figure("loss", voice.lossPercent, 2,
         voice.lossPercent === null ? false : voice.lossPercent < Number(limits.maxLoss));
  root.querySelector("[data-figure=packets]").textContent = String(voice.packets);
  root.querySelector("[data-figure=energy]").textContent = voice.energy.toFixed(4);
  step("bandwidth");
  const download = await measureDownload().catch(() => 0);
  const upload = await measureUpload().catch(() => 0);
  figure("download", download, 0, download >= Number(limits.kbps));
  figure("upload", upload, 0, upload >= Number(limits.kbps));
  step("verdict");
  const { ready, missed } = await askVerdict({
    round_trip_ms: voice.roundTripMs, jitter_ms: voice.jitterMs,
    loss_percent: voice.lossPercent, download_kbps: download, upload_kbps: upload });
  const box = root.querySelector(".verdict-box");
  box.querySelector(".verdict.ready").hidden = !ready;
  box.querySelector(".verdict.not-ready").hidden = ready;
  for (const reason of box.querySelectorAll("[data-missed]")) {
    reason.hidden = !missed.includes(reason.dataset.missed);
  }
  box.hidden = false;
  root.dataset.result = ready ? "ready" : "not-ready";
  step("done");
  button.disabled = false;
}

const start = root?.querySelector(".check-start");
start?.addEventListener("click", () => {
  run(start).catch(() => {
    step("failed");
    start.disabled = false;
  });
});
