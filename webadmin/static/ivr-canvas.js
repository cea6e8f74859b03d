/* The canvas half of the IVR editor: node boxes at their x/y, lines from outlet handles
 * to nodes, dragging boxes and lines. ivr-editor.js owns the document and the state and
 * says what a click means; this file only draws and reports. */
(function () {
  "use strict";

  const { MODULES, el } = window.IvrModules;
  const t = window.ccc.t;
  // What a node's box summarises, and the words for it.
  const SUMMARY_KEYS = { skill_group: t("skill group"), agent: t("agent"), number: t("number"),
    flow: t("flow"), variable: t("variable"), url: t("url") };
  const SVG = "http://www.w3.org/2000/svg";
  const NODE_WIDTH = 190;

  /** ``editor``: {doc, state, outletsOf, outletOf, findNode, problemsOf} and the
   * callbacks onNodeClick, startConnecting, connect, render, markDirty. */
  function create(editor) {
    const { doc, state, outletsOf, outletOf, findNode, problemsOf } = editor;
    const canvas = document.getElementById("canvas");
    const svg = document.getElementById("edges");
    const nodesLayer = document.getElementById("nodes");

    function nodeBox(node) {
      const module = MODULES[node.type];
      const problems = problemsOf(node.id);
      const classes = ["node", `type-${node.type}`];
      if (node.id === state.selected) classes.push("selected");
      if (problems.length) classes.push("has-problem");
      if (state.path.includes(node.id)) classes.push("on-path");
      const head = el("div", { class: "node-head", title: t("Drag to move") },
        el("span", { class: "node-type", text: module ? module.label : node.type }),
        el("span", { class: "node-id", text: node.id }));
      head.addEventListener("pointerdown", (event) => startDrag(event, node));
      const box = el("div", { class: classes.join(" "), id: `node-${node.id}`,
        "data-node": node.id, style: `left:${node.x}px;top:${node.y}px;width:${NODE_WIDTH}px` },
      el("button", { type: "button", class: "inlet", "data-inlet": node.id,
        "aria-label": t("Connect to {node}", { node: node.id }), title: t("Connect here"), text: "●" }),
      head,
      el("button", { type: "button", class: "node-select", text: summary(node),
        "aria-label": t("Edit {node}", { node: node.id }) }),
      problems.length ? el("ul", { class: "node-problems" },
        problems.map((p) => el("li", { text: p.message }))) : null,
      el("div", { class: "outlets" }, outletsOf(node).map((outlet) => outletHandle(node, outlet))));
      box.addEventListener("click", (event) => editor.onNodeClick(event, node));
      return box;
    }

    function summary(node) {
      const parts = [];
      if (node.prompt) parts.push(`♪ ${node.prompt}`);
      if (node.text) parts.push(`“${node.text.slice(0, 24)}”`);
      for (const key of Object.keys(SUMMARY_KEYS)) {
        if (node[key]) parts.push(`${SUMMARY_KEYS[key]}: ${node[key]}`);
      }
      return parts.join(" · ") || t("Edit…");
    }

    function outletHandle(node, outlet) {
      const connected = doc.edges.some((e) => e.from === node.id && outletOf(e) === outlet);
      const pending = state.connecting && state.connecting.node === node.id &&
        state.connecting.outlet === outlet;
      return el("button", { type: "button", class: `outlet${connected ? " connected" : ""}` +
        `${pending ? " pending" : ""}`, "data-outlet-node": node.id, "data-outlet": outlet,
      "aria-label": t("Connect {node} {outlet}", { node: node.id, outlet }), "aria-pressed": pending ? "true" : "false",
      text: outlet, onclick: (event) => {
        event.stopPropagation();
        if (dragLine.suppressClick) {
          dragLine.suppressClick = false;
          return;
        }
        editor.startConnecting(node.id, outlet);
      }, onpointerdown: (event) => startLineDrag(event, node.id, outlet) });
    }

    // Dragging from an outlet to a node connects them too (clicking stays the keyboard way):
    // a dashed line follows the pointer, and letting go over a node makes the edge.
    const dragLine = { suppressClick: false };

    function startLineDrag(event, node, outlet) {
      if (event.button !== 0) return;
      const handle = event.currentTarget;
      const from = centre(handle, "bottom");
      const origin = { x: event.clientX, y: event.clientY };
      let line = null;
      handle.setPointerCapture(event.pointerId);
      const move = (e) => {
        if (!line && Math.abs(e.clientX - origin.x) + Math.abs(e.clientY - origin.y) < 6) return;
        if (!line) {
          line = document.createElementNS(SVG, "line");
          line.setAttribute("class", "drag-line");
          line.setAttribute("x1", from.x);
          line.setAttribute("y1", from.y);
          svg.append(line);
        }
        const box = canvas.getBoundingClientRect();
        line.setAttribute("x2", e.clientX - box.left);
        line.setAttribute("y2", e.clientY - box.top);
      };
      const up = (e) => {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
        if (!line) return;  // a click: the click handler connects the keyboard way
        line.remove();
        dragLine.suppressClick = true;
        setTimeout(() => { dragLine.suppressClick = false; }, 0);
        const target = document.elementFromPoint(e.clientX, e.clientY);
        const box = target && target.closest(".node");
        if (box) {
          state.connecting = { node, outlet };
          editor.connect(box.dataset.node);
        }
      };
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
    }

    function centre(element, edge) {
      const box = element.getBoundingClientRect();
      const origin = canvas.getBoundingClientRect();
      const x = box.left - origin.left + box.width / 2;
      return { x, y: edge === "top" ? box.top - origin.top : box.bottom - origin.top };
    }

    function drawEdges() {
      svg.replaceChildren();
      doc.edges.forEach((edge, index) => {
        const handle = nodesLayer.querySelector(
          `[data-outlet-node="${CSS.escape(edge.from)}"][data-outlet="${CSS.escape(outletOf(edge))}"]`);
        const inlet = nodesLayer.querySelector(`[data-inlet="${CSS.escape(edge.to)}"]`);
        if (!handle || !inlet) return;  // an edge to a missing node: the problem list says so
        // From the bottom of the box under the handle: the box is drawn over the lines.
        const a = { x: centre(handle, "bottom").x, y: centre(handle.closest(".node"), "bottom").y };
        const b = centre(inlet, "top");
        const bend = Math.max(40, Math.abs(b.y - a.y) / 2);
        const d = `M${a.x},${a.y} C${a.x},${a.y + bend} ${b.x},${b.y - bend} ${b.x},${b.y}`;
        const group = document.createElementNS(SVG, "g");
        group.setAttribute("class", `edge${index === state.selectedEdge ? " selected" : ""}`);
        group.dataset.from = edge.from;
        group.dataset.to = edge.to;
        group.dataset.when = outletOf(edge);
        for (const cls of ["edge-hit", "edge-line"]) {
          const path = document.createElementNS(SVG, "path");
          path.setAttribute("d", d);
          path.setAttribute("class", cls);
          group.append(path);
        }
        group.addEventListener("click", (event) => {
          event.stopPropagation();
          state.selectedEdge = index;
          editor.render();
        });
        svg.append(group);
      });
    }

    // Below the selected node (else the last one added), moved right until it covers no
    // other node, so a new box never hides one that is already there.
    function freeSpot() {
      const anchor = findNode(state.selected) || doc.nodes[doc.nodes.length - 1];
      const view = canvas.parentElement;
      let x = anchor ? anchor.x : 40 + view.scrollLeft;
      let y = anchor ? anchor.y + 200 : 40 + view.scrollTop;
      const taken = (px, py) => doc.nodes.some((n) => Math.abs(n.x - px) < NODE_WIDTH + 20 &&
        Math.abs(n.y - py) < 180);
      while (taken(x, y)) {
        x += NODE_WIDTH + 40;
        if (x > canvas.offsetWidth - NODE_WIDTH) {
          x = 40;
          y += 200;
        }
      }
      return { x, y };
    }

    function startDrag(event, node) {
      if (event.button !== 0) return;
      const head = event.currentTarget;  // currentTarget is null once the event is over
      const box = head.parentElement;
      const start = { x: event.clientX, y: event.clientY, nodeX: node.x, nodeY: node.y };
      let moved = false;
      head.setPointerCapture(event.pointerId);
      const move = (e) => {
        const dx = e.clientX - start.x;
        const dy = e.clientY - start.y;
        moved = moved || Math.abs(dx) + Math.abs(dy) > 3;
        if (!moved) return;
        node.x = Math.max(0, Math.round(start.nodeX + dx));
        node.y = Math.max(0, Math.round(start.nodeY + dy));
        box.style.left = `${node.x}px`;
        box.style.top = `${node.y}px`;
        drawEdges();
      };
      const up = () => {
        head.removeEventListener("pointermove", move);
        head.removeEventListener("pointerup", up);
        if (moved) editor.markDirty();
      };
      head.addEventListener("pointermove", move);
      head.addEventListener("pointerup", up);
    }

    function drawNodes() {
      nodesLayer.replaceChildren(...doc.nodes.map(nodeBox));
    }

    return { canvas, svg, nodeBox, drawNodes, drawEdges, freeSpot };
  }

  window.IvrCanvas = { create };
})();
