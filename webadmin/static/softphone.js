// The agent's softphone in the browser: a small ES module around SIP.js.
//
// It signs in to the PBX over its WebSocket (SIP over WebSocket, the agent's "-web"
// endpoint), takes and makes one call at a time with WebRTC audio, and reports what
// happens as CustomEvents on the target the caller passes, so the page decides what
// to show. SIP.js comes bundled from our own origin (make builds static/vendor/sip.js
// from the pinned npm package): a page must never load code from elsewhere.
import {
  Inviter, Registerer, RegistererState, SessionState, UserAgent, UserAgentState,
} from "./vendor/sip.js";

// What a call sends: audio only. The browser asks for the microphone at the first call.
const AUDIO_ONLY = { constraints: { audio: true, video: false } };
// The PBX is reached directly (it offers its own host candidates): no STUN or TURN
// server, so gathering ends at once and no address leaves the agent's machine.
const NO_ICE_SERVERS = { iceServers: [] };
// The header the PBX adds to a call for an agent: the number the caller dialled.
const DIALLED_HEADER = "X-CCC-Dialled";
const REGISTER_EXPIRES = 300;

export class Softphone {
  #call = null;  // what the page shows of the current call: direction, number, ...
  #refusal = null;  // why the last registration was refused (SIP status), until the next

  // config: {websocket_url, sip_domain, username, password, extension} as the server
  // gives it; events: an EventTarget; audio: the <audio> element for the other side.
  constructor(config, events, audio) {
    this.config = config;
    this.events = events;
    this.audio = audio;
    this.session = null;
    this.muted = false;
    this.held = false;
    this.userAgent = new UserAgent({
      uri: UserAgent.makeURI(`sip:${config.username}@${config.sip_domain}`),
      authorizationUsername: config.username,
      authorizationPassword: config.password,
      transportOptions: { server: config.websocket_url, traceSip: false },
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: NO_ICE_SERVERS,
        iceGatheringTimeout: 2000,
      },
      logBuiltinEnabled: false,
      delegate: {
        onInvite: (invitation) => this.#incoming(invitation),
        // The PBX's "answer" (NOTIFY, Event: talk; what desk phones take as remote
        // answer): the agent answered from elsewhere (the API's AnswerCall, ccc call answer).
        onNotify: (notification) => {
          notification.accept().catch(() => {});
          const event = (notification.request.getHeader("Event") || "").trim().toLowerCase();
          if (event === "talk") this.answer().catch(() => {});
        },
        // error is set when the connection was lost, not closed by stop()
        onDisconnect: (error) => { if (error) this.lost(); },
      },
    });
    this.registerer = new Registerer(this.userAgent, { expires: REGISTER_EXPIRES });
    this.registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) {
        this.#refusal = null;
        this.#emit("registered", {});
      }
      if (state === RegistererState.Unregistered) this.#emit("unregistered", this.#refusal ?? {});
    });
  }

  // Connect and register. A refusal (wrong password: 401 twice; banned: 403) is a
  // "refused" event with the SIP status code, not an exception, so the page can say why.
  async start() {
    // Again after a lost connection: the user agent is still started, only its
    // transport needs to connect again.
    if (this.userAgent.state === UserAgentState.Started) await this.userAgent.reconnect();
    else await this.userAgent.start();
    await this.registerer.register({
      requestDelegate: {
        onReject: (response) => {
          this.#refusal = { code: response.message.statusCode,
                            reason: response.message.reasonPhrase };
          this.#emit("refused", this.#refusal);
        },
      },
    });
  }

  // The WebSocket is gone (or never opened): not registered, and worth another start().
  lost() {
    this.#emit("unregistered", { lost: true });
  }

  async stop() {
    if (this.session) await this.hangUp();
    if (this.registerer.state === RegistererState.Registered) await this.registerer.unregister();
    await this.userAgent.stop();
  }

  // Call a number, an extension or a fixed name such as "echo"; the PBX's dialplan
  // decides what may be dialled.
  async call(target) {
    if (this.session) throw new Error("a call is already in progress");
    const uri = UserAgent.makeURI(`sip:${encodeURIComponent(target)}@${this.config.sip_domain}`);
    if (!uri) throw new Error(`not a callable target: ${target}`);
    const inviter = new Inviter(this.userAgent, uri, {
      sessionDescriptionHandlerOptions: AUDIO_ONLY });
    this.#follow(inviter, { direction: "outbound", number: target });
    this.#emit("calling", { number: target });
    await inviter.invite({
      requestDelegate: {
        onReject: (response) => this.#emit("rejected", {
          code: response.message.statusCode, reason: response.message.reasonPhrase }),
      },
    });
    return inviter;
  }

  async answer() {
    const session = this.session;
    if (!session || session.state !== SessionState.Initial || session instanceof Inviter) return;
    await session.accept({ sessionDescriptionHandlerOptions: AUDIO_ONLY });
  }

  // Whatever the call's stage: cancel an outgoing call, refuse an incoming one (486),
  // or end an established one.
  async hangUp() {
    const session = this.session;
    if (!session) return;
    if (session.state === SessionState.Established) return session.bye();
    if (session.state === SessionState.Initial || session.state === SessionState.Establishing) {
      return session instanceof Inviter ? session.cancel() : session.reject();
    }
  }

  // Hold and retrieve are re-INVITEs (sendonly / sendrecv); the PBX plays music on hold
  // to the other side while the call is held.
  async hold(on = true) {
    const session = this.session;
    if (!session || session.state !== SessionState.Established || this.held === on) return;
    session.sessionDescriptionHandlerOptionsReInvite = { hold: on };
    await new Promise((resolve, reject) => {
      session.invite({
        requestDelegate: {
          onAccept: () => resolve(),
          onReject: (response) => reject(new Error(
            `the PBX refused ${on ? "hold" : "retrieve"}: ${response.message.statusCode}`)),
        },
      }).catch(reject);
    });
    this.held = on;
    // While held nothing is sent anyway; the microphone stays as the agent left it.
    this.#emit(on ? "held" : "talking", this.#callDetail());
  }

  // Mute is local: the microphone track stops sending, the call and the PBX are unaware.
  mute(on = true) {
    this.muted = on;
    for (const sender of this.#peerConnection()?.getSenders() ?? []) {
      if (sender.track) sender.track.enabled = !on;
    }
    this.#emit("muted", { muted: on });
  }

  // A key press: RFC 4733 telephone-events in the RTP stream (what the PBX's endpoints
  // expect, dtmf_mode=rfc4733); SIP INFO only when the browser has no DTMF sender.
  async sendDtmf(key) {
    if (!/^[0-9*#A-D]$/.test(key)) throw new Error(`not a key: ${key}`);
    const session = this.session;
    if (!session || session.state !== SessionState.Established) return false;
    if (session.sessionDescriptionHandler.sendDtmf(key, { duration: 160, interToneGap: 70 })) {
      return true;
    }
    await session.info({ requestOptions: { body: {
      contentDisposition: "render", contentType: "application/dtmf-relay",
      content: `Signal=${key}\r\nDuration=160` } } });
    return true;
  }

  // Blind transfer: the PBX sends the other side to target through the agent's own
  // dialplan context, with the same rules as a call the agent makes.
  async transfer(target) {
    const session = this.session;
    if (!session || session.state !== SessionState.Established || !target) return;
    const uri = UserAgent.makeURI(`sip:${encodeURIComponent(target)}@${this.config.sip_domain}`);
    if (!uri) throw new Error(`not a transfer target: ${target}`);
    // Blind: once the PBX accepts the REFER (202) it has sent the other side on to the
    // target in the dialplan, and this phone's part is over, so it hangs up itself (the
    // PBX leaves that to the transferer). A refused REFER keeps the call as it was.
    await session.refer(uri, {
      requestDelegate: {
        onAccept: () => { session.bye().catch(() => {}); },
        onReject: (response) => this.#emit("rejected", {
          code: response.message.statusCode, reason: response.message.reasonPhrase }),
      },
      // The PBX's progress reports of the transfer: acknowledged, nothing more to do.
      onNotify: (notification) => { notification.accept().catch(() => {}); },
    });
  }

  // The call's media figures from the browser's own counters (RTCPeerConnection
  // getStats): what arrives (inbound-rtp), what the PBX reports of what we send
  // (remote-inbound-rtp, from its RTCP), and the ICE round trip.
  async stats() {
    const pc = this.#peerConnection();
    if (!pc) return null;
    const figures = { packetsReceived: 0, packetsLost: 0, jitterMs: 0, totalAudioEnergy: 0,
                      packetsSent: 0, roundTripMs: null, remoteLossFraction: null };
    (await pc.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio") {
        figures.packetsReceived = report.packetsReceived ?? 0;
        figures.packetsLost = report.packetsLost ?? 0;
        figures.jitterMs = (report.jitter ?? 0) * 1000;
        figures.totalAudioEnergy = report.totalAudioEnergy ?? 0;
      } else if (report.type === "outbound-rtp" && report.kind === "audio") {
        figures.packetsSent = report.packetsSent ?? 0;
      } else if (report.type === "remote-inbound-rtp" && report.kind === "audio") {
        if (report.roundTripTime !== undefined) figures.roundTripMs = report.roundTripTime * 1000;
        figures.remoteLossFraction = report.fractionLost ?? null;
      } else if (report.type === "candidate-pair" && report.nominated && figures.roundTripMs === null
                 && report.currentRoundTripTime !== undefined) {
        figures.roundTripMs = report.currentRoundTripTime * 1000;
      }
    });
    return figures;
  }

  #incoming(invitation) {
    if (this.session) {
      // One call at a time: a second one is busy for this phone (the PBX may ring the
      // agent's other phone).
      invitation.reject({ statusCode: 486 });
      return;
    }
    const identity = invitation.remoteIdentity;
    const detail = {
      direction: "inbound",
      number: identity.uri.user ?? "",
      name: identity.displayName ?? "",
      dialled: invitation.request.getHeader(DIALLED_HEADER) ?? "",
    };
    this.#follow(invitation, detail);
    this.#emit("ringing", { ...detail });
  }

  #follow(session, detail) {
    this.session = session;
    this.#call = detail;
    this.held = false;
    session.stateChange.addListener((state) => {
      if (state === SessionState.Established) {
        this.#attachAudio(session);
        this.#call.since = Date.now();
        if (this.muted) this.mute(true);
        this.#emit("talking", this.#callDetail());
      } else if (state === SessionState.Terminated) {
        if (this.session === session) {
          this.session = null;
          this.held = false;
          this.audio.srcObject = null;
          this.#emit("idle", {});
        }
      }
    });
  }

  #attachAudio(session) {
    const stream = session.sessionDescriptionHandler?.remoteMediaStream;
    if (!stream) return;
    this.audio.srcObject = stream;
    // A rejected play() (a browser's autoplay rule) must not end the call: the agent's
    // next click starts the sound.
    this.audio.play().catch(() => {});
  }

  #peerConnection() {
    return this.session?.sessionDescriptionHandler?.peerConnection ?? null;
  }

  #callDetail() {
    return { ...this.#call };
  }

  #emit(type, detail) {
    this.events.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
