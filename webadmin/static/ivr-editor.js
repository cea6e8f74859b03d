/* The visual IVR flow editor: nodes as boxes on a canvas at their x/y, edges as lines
 * from an outlet handle to a node, a form per module, problems shown on their node.
 * The document it edits is the flow format of engine/ivr/FORMAT.md; the server owns
 * every rule (validation, publishing), this page only draws and sends the document. */
(function () {
  "use strict";

  const { MODULES, KEYS, buildFields, el } = window.IvrModules;
  const t = window.ccc.t;
  const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

  const data = JSON.parse(document.getElementById("editor-data").textContent);
  // The server's module table (engine/ivr/spec.py) is the authority on outlets.
  for (const [type, outlets] of Object.entries(data.outlets || {})) {
    if (MODULES[type]) MODULES[type].outlets = outlets;
  }
  const doc = normalise(data.document);
  const state = {
    selected: null,       // node id shown in the form
    selectedEdge: null,   // index into doc.edges
    connecting: null,     // {node, outlet} waiting for a target node
    problems: data.problems || [],
    path: [],             // node ids of the last simulation
    extraKeys: {},        // menu keys added in the form but not connected yet
    dirty: false,
  };

  const $ = (id) => document.getElementById(id);

  function normalise(document) {
    const copy = structuredClone(document || {});
    copy.format = copy.format || 1;
    copy.nodes = copy.nodes || [];
    copy.edges = copy.edges || [];
    copy.nodes.forEach((node, index) => {
      // Documents written by the CLI may have no positions: lay them out in a grid.
      if (typeof node.x !== "number") node.x = 40 + (index % 4) * 240;
      if (typeof node.y !== "number") node.y = 40 + Math.floor(index / 4) * 200;
    });
    return copy;
  }

  const outletOf = (edge) => edge.when ?? "next";
  const findNode = (id) => doc.nodes.find((node) => node.id === id);

  /** A node's outlets: the module's, its menu keys, and any outlet an edge already uses
   * (even a wrong one, so the user can see and delete it). */
  function outletsOf(node) {
    const module = MODULES[node.type];
    const used = doc.edges.filter((e) => e.from === node.id).map(outletOf);
    let outlets = module ? [...module.outlets] : [];
    if (module && module.keys) {
      const keys = new Set([...used.filter((o) => KEYS.includes(o)),
        ...(state.extraKeys[node.id] || [])]);
      outlets = KEYS.filter((key) => keys.has(key)).concat(outlets);
    }
    return outlets.concat(used.filter((o) => !outlets.includes(o)));
  }

  function markDirty() {
    state.dirty = true;
    setStatus(t("Unsaved changes."));
  }

  function setStatus(message, kind) {
    const status = $("status");
    status.textContent = message;
    status.className = kind || "";
  }

  // --- drawing ---------------------------------------------------------------------
  function render() {
    // Rebuilding the boxes would drop the keyboard focus: put it back on the same control.
    const focused = document.activeElement && document.activeElement.closest("#nodes button") ?
      document.activeElement.getAttribute("aria-label") : null;
    view.drawNodes();
    view.drawEdges();
    if (focused) {
      const again = [...document.querySelectorAll("#nodes button")]
        .find((button) => button.getAttribute("aria-label") === focused);
      if (again) again.focus();
    }
    renderProblems();
    view.canvas.classList.toggle("connecting", Boolean(state.connecting));
    $("delete-edge").disabled = state.selectedEdge === null;
  }

  function problemsOf(id) {
    return state.problems.filter((problem) => problem.node === id);
  }







  function renderProblems() {
    const list = $("problems");
    $("problem-count").textContent = String(state.problems.length);
    list.replaceChildren(...state.problems.map((problem) => el("li", { class: "problem" },
      problem.node ? el("button", { type: "button", class: "link", text: problem.node,
        onclick: () => select(problem.node) }) : null,
      el("span", { text: ` ${problem.message}` }),
      el("code", { text: problem.code }))));
    $("problems-panel").classList.toggle("clean", state.problems.length === 0);
  }

  // --- selecting, editing ----------------------------------------------------------
  function onNodeClick(event, node) {
    if (event.target.closest(".outlet")) return;
    if (state.connecting) {
      connect(node.id);
      return;
    }
    select(node.id);
  }

  function select(id) {
    state.selected = id;
    state.selectedEdge = null;
    render();
    renderInspector();
    const box = $(`node-${id}`);
    if (box) box.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function renderInspector() {
    const panel = $("inspector-body");
    const node = findNode(state.selected);
    $("delete-node").disabled = !node;
    if (!node) {
      panel.replaceChildren(el("p", { class: "muted", text: t("Click a node to edit it.") }));
      return;
    }
    const idInput = el("input", { id: "node-id", name: "id", value: node.id });
    const idError = el("small", { class: "field-error", role: "alert" });
    idInput.addEventListener("change", () => rename(node, idInput.value.trim(), idError));
    const labelInput = el("input", { id: "node-label", name: "label", value: node.label ?? "" });
    labelInput.addEventListener("input", () => change(node, "label", labelInput.value || undefined));
    const children = [
      el("h3", { text: MODULES[node.type] ? MODULES[node.type].label : node.type }),
      el("div", { class: "field" }, el("label", { for: "node-id", text: t("Id") }), idInput, idError),
      el("div", { class: "field" }, el("label", { for: "node-label", text: t("Label") }), labelInput),
      ...buildFields(node, data.resources, (name, value, other) => {
        if (other) delete node[other];  // prompt and text exclude each other
        change(node, name, value);
      }),
    ];
    if (MODULES[node.type] && MODULES[node.type].keys) children.push(keysEditor(node));
    children.push(connectionsList(node));
    const problems = problemsOf(node.id);
    if (problems.length) {
      children.unshift(el("ul", { class: "error node-form-problems" },
        problems.map((p) => el("li", { text: p.message }))));
    }
    panel.replaceChildren(...children);
    for (const problem of problems) markField(panel, node, problem);
  }

  // Problems name no field, but their messages start with it ("timeout must be ...") or
  // speak of the prompt: show each under the field it is about, as a form would.
  function markField(panel, node, problem) {
    const names = (MODULES[node.type] ? MODULES[node.type].fields : []).map((f) => f.name);
    const first = problem.message.split(/[\s:]/)[0];
    let name = names.find((n) => n === first);
    if (!name && /prompt|audio|text/.test(problem.message) && names.includes("prompt")) {
      name = "prompt";
    }
    if (!name && /^(rule|open date)/.test(problem.message)) {
      name = problem.message.startsWith("rule") ? "rules" : "open_dates";
    }
    const field = name && panel.querySelector(`[data-field="${name}"]`);
    if (!field) return;
    field.querySelectorAll("input, select, textarea").forEach((input) => {
      input.setAttribute("aria-invalid", "true");
    });
    field.append(el("small", { class: "field-error", text: problem.message }));
  }

  function change(node, name, value) {
    if (value === undefined) delete node[name];
    else node[name] = value;
    markDirty();
    // Only the box changes; rebuilding the form would steal the focus while typing.
    const box = $(`node-${node.id}`);
    if (box) box.replaceWith(view.nodeBox(node));
    view.drawEdges();
  }

  function rename(node, id, error) {
    if (id === node.id) return;
    if (!ID_PATTERN.test(id)) {
      error.textContent = t("A letter, then letters, digits, _ or - (at most 32).");
      return;
    }
    if (findNode(id)) {
      error.textContent = t("Another node is already called {id}.", { id });
      return;
    }
    error.textContent = "";
    for (const edge of doc.edges) {
      if (edge.from === node.id) edge.from = id;
      if (edge.to === node.id) edge.to = id;
    }
    if (state.extraKeys[node.id]) {
      state.extraKeys[id] = state.extraKeys[node.id];
      delete state.extraKeys[node.id];
    }
    state.problems.forEach((p) => { if (p.node === node.id) p.node = id; });
    node.id = id;
    state.selected = id;
    markDirty();
    render();
  }

  function keysEditor(node) {
    const used = outletsOf(node).filter((o) => KEYS.includes(o));
    const choice = el("select", { id: "menu-key", "aria-label": t("Key") },
      KEYS.filter((key) => !used.includes(key)).map((key) => el("option", { value: key, text: key })));
    const add = el("button", { type: "button", id: "add-key", class: "small", text: t("Add key"),
      disabled: choice.options.length === 0, onclick: () => {
        state.extraKeys[node.id] = [...(state.extraKeys[node.id] || []), choice.value];
        render();
        renderInspector();
        $("add-key").focus();
      } });
    return el("fieldset", { class: "field", "data-field": "keys" },
      el("legend", { text: t("Keys") }),
      el("p", { class: "hint", text: used.length ? t("Keys: {keys}", { keys: used.join(" ") }) : t("No key yet.") }),
      el("span", { class: "row" }, el("label", { for: "menu-key", text: t("Key") }), choice, add));
  }

  function connectionsList(node) {
    const rows = outletsOf(node).map((outlet) => {
      const index = doc.edges.findIndex((e) => e.from === node.id && outletOf(e) === outlet);
      const target = index >= 0 ? doc.edges[index].to : null;
      return el("li", {}, el("strong", { text: outlet }), target ? ` → ${target} ` : ` ${t("(not connected)")} `,
        target ? el("button", { type: "button", class: "small",
          "aria-label": t("Disconnect {node} {outlet}", { node: node.id, outlet }), text: t("Disconnect"),
          onclick: () => { deleteEdge(index); renderInspector(); } }) : null);
    });
    return el("div", { class: "field" }, el("h4", { text: t("Connections") }),
      rows.length ? el("ul", { class: "connections" }, rows)
        : el("p", { class: "muted", text: t("This module ends the call.") }));
  }

  // --- adding, connecting, deleting ------------------------------------------------
  function freeId(prefix) {
    for (let n = 1; ; n += 1) {
      const id = `${prefix}${n}`;
      if (!findNode(id)) return id;
    }
  }


  function addNode(type) {
    const { x, y } = view.freeSpot();
    const node = { id: type === "start" && !findNode("start") ? "start" : freeId(MODULES[type].prefix),
      type, x, y };
    doc.nodes.push(node);
    markDirty();
    select(node.id);
  }

  function startConnecting(node, outlet) {
    const same = state.connecting && state.connecting.node === node &&
      state.connecting.outlet === outlet;
    state.connecting = same ? null : { node, outlet };
    setStatus(same ? "" : t("Choose the node “{node} {outlet}” goes to (Esc cancels).", { node, outlet }));
    render();
  }

  function connect(target) {
    const { node, outlet } = state.connecting;
    state.connecting = null;
    // One edge per (node, outlet): connecting again moves the edge.
    doc.edges = doc.edges.filter((e) => !(e.from === node && outletOf(e) === outlet));
    doc.edges.push(outlet === "next" ? { from: node, to: target } : { from: node, to: target, when: outlet });
    if (state.extraKeys[node]) {
      state.extraKeys[node] = state.extraKeys[node].filter((key) => key !== outlet);
    }
    markDirty();
    setStatus(t("Connected {node} {outlet} → {target}.", { node, outlet, target }));
    render();
    if (state.selected) renderInspector();
  }

  function deleteEdge(index) {
    if (index === null || index < 0) return;
    doc.edges.splice(index, 1);
    state.selectedEdge = null;
    markDirty();
    render();
  }

  function deleteNode(id) {
    doc.nodes = doc.nodes.filter((node) => node.id !== id);
    doc.edges = doc.edges.filter((edge) => edge.from !== id && edge.to !== id);
    delete state.extraKeys[id];
    state.selected = null;
    markDirty();
    render();
    renderInspector();
  }


  // --- talking to the server -------------------------------------------------------
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf },
      body: JSON.stringify(body),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (error) {
      answer = { error: t("The server answered {status}.", { status: response.status }) };
    }
    return { ok: response.ok, status: response.status, answer };
  }

  function showProblems(problems) {
    state.problems = problems || [];
    render();
    if (state.selected) renderInspector();
  }

  async function saveDraft() {
    const { ok, answer } = await post(data.urls.draft, { document: doc });
    if (!ok) return setStatus(answer.error || t("The draft was not saved."), "bad");
    state.dirty = false;
    showProblems(answer.problems);
    setStatus(answer.problems.length
      ? t("Draft saved, with {count} problem(s) to fix before publishing.",
        { count: answer.problems.length })
      : t("Draft saved. No problem found."), answer.problems.length ? "warn" : "good");
  }

  async function validate() {
    const { ok, answer } = await post(data.urls.validate, { document: doc });
    if (!ok) return setStatus(answer.error || t("Validation failed."), "bad");
    showProblems(answer.problems);
    setStatus(answer.problems.length ? t("{count} problem(s).", { count: answer.problems.length })
      : t("No problem found."),
      answer.problems.length ? "warn" : "good");
  }

  async function publish() {
    const { ok, answer } = await post(data.urls.publish, { document: doc });
    if (!ok) {
      showProblems(answer.problems || state.problems);
      return setStatus(answer.error || t("Not published."), "bad");
    }
    state.dirty = false;
    showProblems([]);
    setStatus(t("Published version {version}.", { version: answer.version }), "good");
    $("flow-state").textContent = t("published v{version}", { version: answer.version });
  }

  async function simulate(event) {
    event.preventDefault();
    const form = $("simulate-form");
    const { ok, answer } = await post(data.urls.simulate, {
      document: doc, digits: form.elements.digits.value, at: form.elements.at.value,
      caller: form.elements.caller.value,
    });
    const output = $("simulate-output");
    if (!ok) {
      state.path = [];
      output.replaceChildren(el("p", { class: "error", role: "alert", text: answer.error ||
        t("The simulation failed.") }));
      if (answer.problems) showProblems(answer.problems);
      render();
      return;
    }
    state.path = answer.path || [];
    render();
    output.replaceChildren(
      el("p", {}, el("strong", { text: t("Path:") + " " }), el("span", { id: "simulate-path",
        text: state.path.join(" → ") })),
      answer.error ? el("p", { class: "error", role: "alert", text: answer.error }) : "",
      el("ol", { id: "simulate-actions" }, (answer.actions || []).map((a) => el("li", { text: a }))));
  }

  // --- wiring ----------------------------------------------------------------------
  const view = window.IvrCanvas.create({ doc, state, outletsOf, outletOf, findNode, problemsOf,
    onNodeClick, startConnecting, connect, render, markDirty });
  for (const [type, module] of Object.entries(MODULES)) {
    $("palette-buttons").append(el("button", { type: "button", id: `add-${type}`,
      class: `palette-item type-${type}`, text: module.label, "aria-label": t("Add {module}", { module: module.label }),
      onclick: () => addNode(type) }));
  }
  $("save-draft").addEventListener("click", saveDraft);
  $("validate").addEventListener("click", validate);
  $("publish").addEventListener("click", publish);
  $("delete-node").addEventListener("click", () => state.selected && deleteNode(state.selected));
  $("delete-edge").addEventListener("click", () => deleteEdge(state.selectedEdge));
  $("simulate-form").addEventListener("submit", simulate);
  view.canvas.addEventListener("click", (event) => {
    if (event.target === view.canvas || event.target === view.svg) {
      state.selectedEdge = null;
      render();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.connecting) {
      state.connecting = null;
      setStatus("");
      render();
    }
    const typing = event.target.closest("input, textarea, select");
    if (typing) return;
    if (event.key === "Delete" && state.selectedEdge !== null) deleteEdge(state.selectedEdge);
    else if (event.key === "Delete" && event.target.closest(".node")) {
      deleteNode(event.target.closest(".node").dataset.node);
    }
    const step = { ArrowLeft: [-10, 0], ArrowRight: [10, 0], ArrowUp: [0, -10], ArrowDown: [0, 10] };
    const focusedNode = event.target.closest(".node");
    if (step[event.key] && focusedNode) {  // the keyboard's way to move a box
      event.preventDefault();
      const node = findNode(focusedNode.dataset.node);
      node.x = Math.max(0, node.x + step[event.key][0]);
      node.y = Math.max(0, node.y + step[event.key][1]);
      focusedNode.style.left = `${node.x}px`;
      focusedNode.style.top = `${node.y}px`;
      view.drawEdges();
      markDirty();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) event.preventDefault();
  });

  render();
  renderInspector();
  // For tests and the curious: the document as it would be sent.
  window.ivrEditor = { document: () => structuredClone(doc), state };
})();
