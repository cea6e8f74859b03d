/* The IVR module table (engine/ivr/FORMAT.md) as the editor needs it: a label, the
 * fields a form is generated from, and the fixed outlets. Menu keys are outlets too,
 * added one by one in the form. Loaded before ivr-editor.js; no build step. */
(function () {
  "use strict";

  const t = window.ccc.t;
  const PROMPT = { name: "prompt", kind: "prompt", label: t("Prompt") };
  const num = (name, label, min, max, hint) => ({ name, kind: "number", label, min, max, hint });
  const text = (name, label, hint) => ({ name, kind: "text", label, hint });
  const OPERATORS = ["equals", "not_equals", "starts_with", "contains", "less_than",
    "greater_than", "is_empty"];
  const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"];
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

  const MODULES = {
    start: { label: t("Start"), prefix: "start", fields: [], outlets: ["next"] },
    play: { label: t("Play audio"), prefix: "play", fields: [PROMPT], outlets: ["next"] },
    menu: {
      label: t("Menu"), prefix: "menu", keys: true, outlets: ["invalid", "timeout"],
      fields: [PROMPT, num("timeout", t("Timeout (s)"), 1, 30, t("default 5")),
        num("retries", t("Retries"), 0, 5, t("default 2"))],
    },
    collect: {
      label: t("Collect digits"), prefix: "collect", outlets: ["next", "invalid"],
      fields: [PROMPT, text("variable", t("Into variable")),
        num("min_digits", t("Min digits"), 1, 32, t("default 1")),
        num("max_digits", t("Max digits"), 1, 32),
        text("terminator", t("Terminator"), t("# by default; empty for none")),
        num("timeout", t("Timeout (s)"), 1, 30, t("default 5")),
        num("retries", t("Retries"), 0, 5, t("default 1"))],
    },
    time_condition: {
      label: t("Time condition"), prefix: "hours", outlets: ["open", "closed"],
      fields: [text("timezone", t("Time zone"), t("IANA name, UTC by default")),
        { name: "rules", kind: "rules", label: t("Open hours") },
        { name: "holidays", kind: "dates", label: t("Holidays (closed all day)") },
        { name: "open_dates", kind: "open_dates", label: t("Extra open dates") }],
    },
    condition: {
      label: t("Condition"), prefix: "cond", outlets: ["true", "false"],
      fields: [text("variable", t("Variable"), t("e.g. caller")),
        { name: "operator", kind: "choice", label: t("Operator"), options: OPERATORS },
        text("value", t("Value"), t("${name} inserts a variable"))],
    },
    set_variable: {
      label: t("Set variable"), prefix: "set", outlets: ["next"],
      fields: [text("variable", t("Variable")), text("value", t("Value"), t("${name} inserts a variable"))],
    },
    transfer_skill_group: {
      label: t("Transfer to skill group"), prefix: "queue", outlets: ["overflow", "after"],
      fields: [{ name: "skill_group", kind: "resource", label: t("Skill group"), from: "skill_groups" },
        num("timeout", t("Queue timeout (s)"), 1, 3600, t("the group's wait timeout by default"))],
    },
    transfer_agent: {
      label: t("Transfer to agent"), prefix: "agent", outlets: ["no_answer", "after"],
      fields: [{ name: "agent", kind: "resource", label: t("Agent"), from: "agents" },
        num("timeout", t("Ring timeout (s)"), 1, 600, t("default 30"))],
    },
    transfer_external: {
      label: t("Transfer to number"), prefix: "external", outlets: ["failed"],
      fields: [text("number", t("Number"), t("digits or ${variable}")),
        num("timeout", t("Ring timeout (s)"), 1, 600, t("default 60"))],
    },
    goto_flow: {
      label: t("Go to flow"), prefix: "goto", outlets: [],
      fields: [{ name: "flow", kind: "resource", label: t("Flow"), from: "flows" }],
    },
    voicemail: {
      label: t("Voicemail"), prefix: "voicemail", outlets: ["next"],
      fields: [PROMPT, num("max_seconds", t("Max length (s)"), 1, 300, t("default 60"))],
    },
    survey: {
      label: t("Satisfaction survey"), prefix: "survey", outlets: ["next"],
      fields: [PROMPT, num("timeout", t("Timeout (s)"), 1, 30, t("default 5"))],
    },
    http: {
      label: t("HTTP call"), prefix: "http", outlets: ["ok", "error"],
      fields: [text("url", t("URL"), t("http:// or https://")),
        num("timeout", t("Timeout (s)"), 1, 10, t("default 3")),
        { name: "set", kind: "mapping", label: t("Set variables from the response") }],
    },
    hangup: { label: t("Hang up"), prefix: "hangup", outlets: [], fields: [text("reason", t("Reason"))] },
  };

  // --- small DOM helpers ---------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      // Through the CSS object model: the pages' CSP refuses style attributes.
      else if (key === "style") node.style.cssText = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  let uid = 0;
  const fieldId = (name) => `field-${name}-${++uid}`;

  function labelled(field, input, extra) {
    return el("div", { class: "field", "data-field": field.name },
      el("label", { for: input.id, text: field.label }), input,
      field.hint ? el("small", { class: "hint", text: field.hint }) : null, extra || null);
  }

  // --- one builder per field kind; each calls change(name, value|undefined) ---------
  function textField(field, node, change) {
    const input = el("input", { id: fieldId(field.name), name: field.name, type: "text",
      value: node[field.name] ?? "" });
    input.addEventListener("input", () => change(field.name, input.value === "" &&
      field.name !== "terminator" ? undefined : input.value));
    return labelled(field, input);
  }

  function numberField(field, node, change) {
    const input = el("input", { id: fieldId(field.name), name: field.name, type: "number",
      min: field.min, max: field.max, value: node[field.name] ?? "" });
    // Kept as typed when it is not a number, so the server's problem names the field.
    input.addEventListener("input", () => {
      const value = input.value.trim();
      change(field.name, value === "" ? undefined : (Number.isFinite(+value) ? +value : value));
    });
    return labelled(field, input);
  }

  function choiceField(field, node, change, options) {
    const current = node[field.name];
    const select = el("select", { id: fieldId(field.name), name: field.name },
      el("option", { value: "", text: t("— choose —") }));
    let known = false;
    for (const option of options) {
      const value = typeof option === "string" ? option : option.value;
      known = known || value === current;
      select.append(el("option", { value, text: typeof option === "string" ? option : option.text,
        selected: value === current }));
    }
    // A value that is no longer offered (a deleted skill group) stays visible, so the
    // validation problem on this node makes sense to the user.
    if (current && !known) {
      select.append(el("option", { value: current, text: t("{value} (missing)", { value: current }), selected: true }));
    }
    select.addEventListener("change", () => change(field.name, select.value || undefined));
    return labelled(field, select);
  }

  function resourceField(field, node, change, resources) {
    const list = resources[field.from] || [];
    const options = list.map((item) => typeof item === "string" ? item
      : { value: item.value, text: item.text });
    return choiceField(field, node, change, options);
  }

  function promptField(field, node, change, resources) {
    const useText = node.text !== undefined && node.prompt === undefined;
    const name = fieldId("prompt-kind");
    const audioRadio = el("input", { type: "radio", name, value: "audio", id: name + "-a",
      checked: !useText });
    const textRadio = el("input", { type: "radio", name, value: "text", id: name + "-t",
      checked: useText });
    const select = el("select", { id: fieldId("prompt"), name: "prompt", "aria-label": t("Audio file") },
      el("option", { value: "", text: t("— choose audio —") }));
    const library = el("optgroup", { label: t("Audio library") });
    for (const audio of resources.audio || []) {
      library.append(el("option", { value: audio, text: audio, selected: audio === node.prompt }));
    }
    const builtin = el("optgroup", { label: t("Built-in sounds") });
    for (const sound of resources.builtin || []) {
      builtin.append(el("option", { value: sound, text: sound, selected: sound === node.prompt }));
    }
    select.append(library, builtin);
    if (node.prompt && !(resources.audio || []).concat(resources.builtin || [])
      .includes(node.prompt)) {
      select.append(el("option", { value: node.prompt, text: t("{value} (missing)", { value: node.prompt }),
        selected: true }));
    }
    const area = el("textarea", { id: fieldId("text"), name: "text", rows: 2,
      "aria-label": t("Text to speak") });
    area.value = node.text ?? "";
    const sync = () => {
      select.hidden = textRadio.checked;
      area.hidden = !textRadio.checked;
    };
    const apply = () => {
      sync();
      if (textRadio.checked) change("text", area.value, "prompt");
      else change("prompt", select.value || undefined, "text");
    };
    audioRadio.addEventListener("change", apply);
    textRadio.addEventListener("change", apply);
    select.addEventListener("change", apply);
    area.addEventListener("input", apply);
    sync();
    return el("fieldset", { class: "field", "data-field": "prompt" },
      el("legend", { text: field.label }),
      el("span", { class: "choice" }, audioRadio, el("label", { for: audioRadio.id, text: t("Audio") }),
        textRadio, el("label", { for: textRadio.id, text: t("Text") })),
      select, area);
  }

  // Rows editors (rules, open dates, set-mapping) share one shape: a list of rows,
  // each row a few inputs, re-emitted as a whole on every edit.
  function rowsField(field, rows, makeRow, emptyRow, emit) {
    const body = el("div", { class: "rows" });
    const redraw = () => {
      body.replaceChildren(...rows.map((row, index) => el("div", { class: "row" },
        ...makeRow(row, () => emit(rows)),
        el("button", { type: "button", class: "small", "aria-label": t("Remove row {number}", { number: index + 1 }),
          text: "×", onclick: () => { rows.splice(index, 1); emit(rows); redraw(); } }))));
    };
    redraw();
    return el("fieldset", { class: "field", "data-field": field.name },
      el("legend", { text: field.label }), body,
      el("button", { type: "button", class: "small", text: t("Add"),
        onclick: () => { rows.push(emptyRow()); emit(rows); redraw(); } }));
  }

  function timeInput(row, key, label, changed) {
    const input = el("input", { type: "time", value: row[key] || "", "aria-label": label });
    input.addEventListener("input", () => { row[key] = input.value; changed(); });
    return input;
  }

  function rulesField(field, node, change) {
    const rows = structuredClone(node.rules || []);
    return rowsField(field, rows, (row, changed) => [
      el("span", { class: "days" }, ...DAYS.map((day) => {
        const box = el("input", { type: "checkbox", "aria-label": day,
          checked: (row.days || []).includes(day) });
        box.addEventListener("change", () => {
          row.days = DAYS.filter((d) => d === day ? box.checked : (row.days || []).includes(d));
          changed();
        });
        return el("label", { class: "day" }, box, day);
      })),
      timeInput(row, "from", t("from"), changed), timeInput(row, "to", t("to"), changed),
    ], () => ({ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" }),
    (all) => change(field.name, all.length ? structuredClone(all) : undefined));
  }

  function openDatesField(field, node, change) {
    const rows = structuredClone(node.open_dates || []);
    return rowsField(field, rows, (row, changed) => {
      const date = el("input", { type: "date", value: row.date || "", "aria-label": t("date") });
      date.addEventListener("input", () => { row.date = date.value; changed(); });
      return [date, timeInput(row, "from", t("from"), changed), timeInput(row, "to", t("to"), changed)];
    }, () => ({ date: "", from: "09:00", to: "18:00" }),
    (all) => change(field.name, all.length ? structuredClone(all) : undefined));
  }

  function datesField(field, node, change) {
    const area = el("textarea", { id: fieldId(field.name), name: field.name, rows: 2 });
    area.value = (node[field.name] || []).join("\n");
    area.addEventListener("input", () => {
      const dates = area.value.split(/[\s,]+/).filter(Boolean);
      change(field.name, dates.length ? dates : undefined);
    });
    return labelled({ ...field, hint: t("one YYYY-MM-DD a line") }, area);
  }

  function mappingField(field, node, change) {
    const rows = Object.entries(node[field.name] || {}).map(([variable, key]) => ({ variable, key }));
    return rowsField(field, rows, (row, changed) => {
      const variable = el("input", { value: row.variable, "aria-label": t("variable"),
        placeholder: t("variable") });
      const key = el("input", { value: row.key, "aria-label": t("response key"),
        placeholder: t("response key") });
      variable.addEventListener("input", () => { row.variable = variable.value; changed(); });
      key.addEventListener("input", () => { row.key = key.value; changed(); });
      return [variable, key];
    }, () => ({ variable: "", key: "" }), (all) => {
      const mapping = Object.fromEntries(all.filter((r) => r.variable).map((r) => [r.variable, r.key]));
      change(field.name, Object.keys(mapping).length ? mapping : undefined);
    });
  }

  const BUILDERS = {
    text: textField, number: numberField, prompt: promptField, resource: resourceField,
    choice: (f, n, c) => choiceField(f, n, c, f.options), rules: rulesField,
    dates: datesField, open_dates: openDatesField, mapping: mappingField,
  };

  /** The form controls of one node's module, built from the table above. */
  function buildFields(node, resources, change) {
    const module = MODULES[node.type];
    if (!module) return [el("p", { class: "error", text: t("Unknown module {type}", { type: node.type }) })];
    return module.fields.map((field) => BUILDERS[field.kind](field, node, change, resources));
  }

  window.IvrModules = { MODULES, KEYS, buildFields, el };
})();
