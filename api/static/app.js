// podcalc capacity dashboard: vanilla JavaScript, no build step, nothing fetched from elsewhere.
// Every figure shown is a string the API returned; numbers are parsed here only to draw bars.
// Nothing from the input or the API is ever written as HTML: every node is built with el().
"use strict";

(function () {
  const SVG_NS = "http://www.w3.org/2000/svg";

  // --- small DOM helpers -------------------------------------------------------------------

  /** An element with attributes (class, data-*, aria-*, ...) and children (nodes or text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
  }

  const $ = (id) => document.getElementById(id);

  // --- the YAML stream, as the API counts its documents ------------------------------------

  /**
   * The documents of a YAML stream, counted as PyYAML's load_all counts them (the API's
   * `document` index): a `---` line starts a document, a `...` line ends one, content
   * before any marker is an implicit document; comments, blank lines and directives
   * outside a document belong to none. Each: {firstLine, lines} (0-based line numbers).
   */
  function splitDocuments(text) {
    const docs = [];
    let current = null;
    const close = () => {
      if (current) docs.push(current);
      current = null;
    };
    text.split("\n").forEach((raw, i) => {
      const line = raw.replace(/\r$/, "");
      if (/^---(\s|$)/.test(line)) {
        close();
        current = { firstLine: i, lines: [raw] };
      } else if (/^\.\.\.(\s|$)/.test(line)) {
        close();
      } else if (current) {
        current.lines.push(raw);
      } else if (line.trim() !== "" && !line.trimStart().startsWith("#") && !line.startsWith("%")) {
        current = { firstLine: i, lines: [raw] };
      }
    });
    close();
    return docs;
  }

  function isJson(text) {
    const t = text.trim();
    if (!t.startsWith("{") && !t.startsWith("[")) return false;
    try {
      JSON.parse(t);
      return true;
    } catch (_) {
      return false;
    }
  }

  function firstSignificantLine(text) {
    return text.split("\n").find((l) => l.trim() !== "" && !l.trimStart().startsWith("#")) || "";
  }

  /**
   * One request body for every source (the pasted text, each file): one JSON source goes
   * as JSON; anything else as one YAML stream, each source starting a new document. A
   * JSON file inside the stream is read as YAML flow (JSON is YAML; its tabs, whitespace
   * in valid JSON, become spaces, which YAML requires). Returns the body and, per source,
   * its documents with their index in the stream and their lines there, so that the API's
   * `document` and `line` can be shown next to the right source.
   */
  function buildRequest(sources) {
    const parts = [];
    const used = sources.filter((s) => s.text.trim() !== "");
    if (used.length === 1 && isJson(used[0].text)) {
      const lines = used[0].text.split("\n");
      parts.push({ source: used[0], lineOffset: 0, docs: [{ index: 0, firstLine: 0, lines }] });
      return { contentType: "application/json", body: used[0].text, parts };
    }
    let body = "";
    let index = 0;
    for (const source of used) {
      const text = isJson(source.text) ? source.text.replace(/\t/g, "  ") : source.text;
      const docs = splitDocuments(text);
      if (docs.length === 0) continue; // comments only: no document, nothing to send
      if (body !== "") {
        if (!body.endsWith("\n")) body += "\n";
        const first = firstSignificantLine(text);
        if (first.startsWith("%")) body += "...\n";
        else if (!/^---(\s|$)/.test(first)) body += "---\n";
      }
      const lineOffset = body === "" ? 0 : body.split("\n").length - 1;
      parts.push({
        source,
        lineOffset,
        docs: docs.map((d, k) => ({ index: index + k, firstLine: d.firstLine, lines: d.lines })),
      });
      body += text;
      index += docs.length;
    }
    return { contentType: "application/yaml", body, parts };
  }

  function findDocument(request, index) {
    for (const part of request.parts) {
      const doc = part.docs.find((d) => d.index === index);
      if (doc) return { part, doc };
    }
    return null;
  }

  /**
   * The line (0-based, within the document) that a JSON pointer names, for block-style
   * YAML and indented JSON; the closest ancestor found when the field itself is not on a
   * line of its own (flow style), or -1. For display only: a best effort.
   */
  function locatePointer(lines, pointer) {
    const segments = pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const indentOf = (l) => l.length - l.trimStart().length;
    const blank = (l) => l.trim() === "" || l.trimStart().startsWith("#");
    let lo = 0;
    let hi = lines.length;
    let column = -1; // column of the parent's key or dash
    let found = -1;
    for (const segment of segments) {
      let hit = -1;
      if (/^\d+$/.test(segment)) {
        let dash = -1;
        let count = -1;
        for (let i = lo; i < hi && hit < 0; i++) {
          const m = /^(\s*(?:- +)*)- /.exec(lines[i]) || /^(\s*(?:- +)*)-\s*$/.exec(lines[i]);
          if (!m || m[1].length < column) continue;
          if (dash < 0) dash = m[1].length;
          if (m[1].length === dash && ++count === Number(segment)) hit = i;
        }
        if (hit < 0) break;
        found = hit;
        column = dash;
        lo = hit; // the item's first key may be on the dash's line
        let end = hit + 1;
        while (end < hi && (blank(lines[end]) || indentOf(lines[end]) > dash)) end++;
        hi = end;
      } else {
        const key = segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        const re = new RegExp(`^(\\s*(?:- +)*)(["']?)${key}\\2\\s*:(\\s|$)`);
        for (let i = lo; i < hi && hit < 0; i++) {
          const m = re.exec(lines[i]);
          if (m && m[1].length > column) hit = i;
        }
        if (hit < 0) break;
        const m = re.exec(lines[hit]);
        found = hit;
        column = m[1].length;
        let end = hit + 1;
        while (
          end < hi &&
          (blank(lines[end]) ||
            indentOf(lines[end]) > column ||
            (indentOf(lines[end]) === column && lines[end].trimStart().startsWith("-")))
        ) {
          end++;
        }
        lo = hit + 1;
        hi = end;
      }
    }
    return found;
  }

  // --- quantities, for drawing only ---------------------------------------------------------

  const SUFFIX = {
    "": 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };

  /** A canonical quantity string as a float, to size a bar (labels keep the API's string). */
  function quantityValue(q) {
    if (q === undefined || q === null) return 0;
    const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([numkMGTPE]|[KMGTPE]i)|[eE]([+-]?\d+))?$/.exec(String(q));
    if (!m) return NaN;
    return parseFloat(m[1]) * (m[3] !== undefined ? 10 ** Number(m[3]) : SUFFIX[m[2] || ""]);
  }

  /** The axis unit for a resource and the chart's top value: [suffix, factor]. */
  function axisUnit(top, resource) {
    if (resource === "cpu") return top < 10 ? ["m", 1e-3] : ["", 1];
    if (/memory|storage|hugepages/.test(resource)) {
      for (const unit of [["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]]) {
        if (top >= 2 * unit[1]) return unit;
      }
    }
    return ["", 1];
  }

  /** Round axis ticks (1, 2 or 5 times a power of ten, in the axis unit) from 0 past ``top``. */
  function axisTicks(top, resource) {
    const [suffix, factor] = axisUnit(top, resource);
    const span = top / factor;
    const rough = span / 4;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((k) => k * power).find((k) => k >= rough);
    const ticks = [];
    for (let v = 0; v < span + step; v += step) {
      ticks.push({ value: v * factor, label: v === 0 ? "0" : `${+v.toFixed(3)}${suffix}` });
      if (v >= span) break;
    }
    return ticks;
  }

  // --- state and input ----------------------------------------------------------------------

  const state = { files: [], request: null, body: null, item: null, snapshot: null };

  function sources() {
    const list = [];
    const pasted = $("manifests").value;
    if (pasted.trim() !== "") list.push({ name: "Pasted manifests", text: pasted });
    for (const f of state.files) list.push({ name: f.name, text: f.text });
    return list;
  }

  async function addFiles(fileList) {
    for (const file of Array.from(fileList)) {
      state.files.push({ name: file.name, text: await file.text() });
    }
    renderFileList();
    $("status").textContent = `${state.files.length} file(s) added.`;
  }

  function renderFileList() {
    const list = $("file-list");
    list.replaceChildren(
      ...state.files.map((f, i) => {
        const remove = el("button", { type: "button", class: "link", "aria-label": `Remove ${f.name}` }, "Remove");
        remove.addEventListener("click", () => {
          state.files.splice(i, 1);
          renderFileList();
          $("files").focus();
        });
        return el("li", {}, el("span", { class: "file-name" }, f.name), ` (${f.text.length} characters) `, remove);
      }),
    );
  }

  // --- calculate ----------------------------------------------------------------------------

  async function calculate() {
    const all = sources();
    resetResults();
    if (all.length === 0) {
      $("status").textContent = "Nothing to calculate: paste manifests or add files.";
      return;
    }
    const request = buildRequest(all);
    state.request = request;
    if (request.parts.length === 0) {
      $("status").textContent = "No documents: the input holds only comments or blank lines.";
      return;
    }
    const nodes = $("nodes").value.trim();
    const query = nodes !== "" ? `?nodes=${encodeURIComponent(nodes)}` : "";
    $("status").textContent = "Calculating…";
    let response;
    try {
      response = await fetch(`/v1/effective-resources${query}`, {
        method: "POST",
        headers: { "Content-Type": request.contentType, Accept: "application/json" },
        body: request.body,
      });
    } catch (err) {
      showRequestError("The server could not be reached", String(err));
      $("status").textContent = "";
      return;
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      renderProblem(answer || { title: `HTTP ${response.status}`, detail: response.statusText }, request);
      return;
    }
    state.body = answer;
    renderDocuments(request, answer, null);
    renderWorkloads(answer);
    const workloads = answer.items.length;
    $("status").textContent =
      `${workloads} workload(s), ${answer.total.pods} pod(s) at once` +
      (answer.skipped.length ? `, ${answer.skipped.length} object(s) without pods` : "") +
      ".";
    requestPlan(request, query);
  }

  function resetResults() {
    state.body = null;
    state.request = null; // a plan answer still on its way is for results no longer shown
    for (const id of ["documents-section", "results", "lifecycle"]) $(id).hidden = true;
    $("request-error").hidden = true;
    $("request-error").replaceChildren();
    $("plan-body").replaceChildren();
    $("plan-placeholder").hidden = false;
  }

  function showRequestError(title, detail) {
    const box = $("request-error");
    box.replaceChildren(el("strong", {}, title), " ", el("span", {}, detail));
    box.hidden = false;
  }

  // --- errors, next to the document and the field -------------------------------------------

  const LINE_IN_DETAIL = /\s*at line (\d+) column (\d+)(?: \(char \d+\))?/;

  /** A problem+json answer: input errors under their document, a broken line under its source. */
  function renderProblem(problem, request) {
    const errors = Array.isArray(problem.errors) ? problem.errors : [];
    const byDocument = new Map();
    const elsewhere = [];
    for (const e of errors) {
      if (typeof e.document === "number" && findDocument(request, e.document)) {
        if (!byDocument.has(e.document)) byDocument.set(e.document, []);
        byDocument.get(e.document).push(e);
      } else {
        elsewhere.push(e);
      }
    }
    let lineError = null;
    const m = LINE_IN_DETAIL.exec(problem.detail || "");
    if (m && errors.length === 0) {
      lineError = { line: Number(m[1]) - 1, column: Number(m[2]), detail: problem.detail.replace(LINE_IN_DETAIL, "") };
    }
    renderDocuments(request, null, { byDocument, lineError, title: problem.title });
    const count = errors.length || 1;
    $("status").textContent = `${problem.title || "Error"}: ${count} problem(s).`;
    if (elsewhere.length || (!byDocument.size && !lineError)) {
      const box = $("request-error");
      box.replaceChildren(
        el("strong", {}, problem.title || "Error"),
        " ",
        el("span", {}, elsewhere.length ? "" : problem.detail || ""),
        elsewhere.length
          ? el("ul", {}, elsewhere.map((e) => el("li", {}, e.parameter ? el("code", {}, e.parameter) : "", " ", e.detail)))
          : "",
      );
      box.hidden = false;
    }
  }

  function describeObject(kind, name) {
    if (!kind && !name) return "";
    return `${kind || "?"}/${name || "(no name)"}`;
  }

  /** Per source, its documents: what the API made of each, or its problems at their field. */
  function renderDocuments(request, body, problems) {
    const container = $("documents");
    container.replaceChildren();
    for (const part of request.parts) {
      let lineError = null; // a line of this source that the YAML or JSON parser stopped at
      if (problems && problems.lineError && isOwner(request, part, problems.lineError.line)) {
        lineError = problems.lineError.line - part.lineOffset;
      }
      const list = el("ol", { class: "documents" });
      for (const doc of part.docs) {
        list.append(renderDocument(part, doc, body, problems, lineError));
      }
      const header = el("h3", {}, part.source.name);
      const section = el("section", { class: "source", "aria-label": part.source.name }, header);
      if (lineError !== null) {
        section.append(
          el(
            "p",
            { class: "problem", "data-line": lineError + 1 },
            el("strong", {}, problems.title || "Error"),
            ` at line ${lineError + 1}, column ${problems.lineError.column}: ${problems.lineError.detail}`,
          ),
        );
      }
      section.append(list);
      container.append(section);
    }
    $("documents-section").hidden = false;
  }

  function isOwner(request, part, line) {
    const parts = request.parts;
    const next = parts[parts.indexOf(part) + 1];
    return line >= part.lineOffset && (!next || line < next.lineOffset);
  }

  function renderDocument(part, doc, body, problems, lineError) {
    const errors = (problems && problems.byDocument.get(doc.index)) || [];
    const item = el("li", { id: `doc-${doc.index}`, class: errors.length ? "document has-errors" : "document" });
    const names = new Set();
    let summary = "";
    if (body) {
      const items = body.items.filter((i) => i.document === doc.index);
      const skipped = body.skipped.filter((s) => s.document === doc.index);
      items.forEach((i) => names.add(describeObject(i.kind, i.name)));
      skipped.forEach((s) => names.add(describeObject(s.kind, s.name)));
      summary = [
        items.length ? `${items.length} workload(s)` : "",
        ...skipped.map((s) => `skipped: ${s.reason}`),
        !items.length && !skipped.length ? "empty" : "",
      ]
        .filter(Boolean)
        .join("; ");
    }
    errors.forEach((e) => names.add(describeObject(e.kind, e.name)));
    names.delete("");
    const where = part.docs.length > 1 || part.lineOffset ? ` (lines ${doc.firstLine + 1}–${doc.firstLine + doc.lines.length})` : "";
    item.append(
      el(
        "p",
        { class: "document-head" },
        el("span", { class: "doc-label" }, `document ${doc.index}`),
        names.size ? el("span", { class: "doc-objects" }, ` · ${[...names].join(", ")}`) : "",
        where,
        summary ? el("span", { class: "doc-summary" }, ` · ${summary}`) : "",
        errors.length ? el("span", { class: "doc-summary bad" }, ` · ${errors.length} problem(s)`) : "",
      ),
    );
    const marked = new Map(); // line in the document -> problem numbers
    if (errors.length) {
      const ul = el("ul", { class: "problems", "aria-label": `Problems in document ${doc.index}` });
      errors.forEach((e, n) => {
        const line = e.pointer ? locatePointer(doc.lines, e.pointer) : -1;
        if (line >= 0) marked.set(line, [...(marked.get(line) || []), n + 1]);
        ul.append(
          el(
            "li",
            { class: "problem" },
            e.pointer ? el("code", { class: "pointer" }, e.pointer) : "",
            e.pointer ? " " : "",
            el("span", { class: "detail" }, e.detail),
            line >= 0
              ? el("span", { class: "at-line" }, ` (line ${doc.firstLine + line + 1}: `, el("code", {}, doc.lines[line].trim()), ")")
              : "",
          ),
        );
      });
      item.append(ul);
    }
    const warnings = body && body.warnings ? body.warnings.filter((w) => w.document === doc.index) : [];
    if (warnings.length) {
      const ul = el("ul", { class: "warnings", "aria-label": `Warnings in document ${doc.index}` });
      for (const w of warnings) {
        const line = locatePointer(doc.lines, w.pointer);
        if (line >= 0 && !marked.has(line)) marked.set(line, []);
        ul.append(
          el(
            "li",
            { class: "warning" },
            el("code", { class: "pointer" }, w.pointer),
            " ",
            el("code", {}, w.value),
            el("span", { class: "detail" }, ` is ${w.detail}`),
            line >= 0 ? el("span", { class: "at-line" }, ` (line ${doc.firstLine + line + 1})`) : "",
          ),
        );
      }
      item.append(ul);
    }
    if (lineError !== null && lineError >= doc.firstLine && lineError < doc.firstLine + doc.lines.length) {
      marked.set(lineError - doc.firstLine, [1]);
    }
    const pre = el("pre", { class: "source-text" });
    doc.lines.forEach((text, i) => {
      pre.append(
        el(
          "span",
          { class: marked.has(i) ? "line marked" : "line", "data-line": doc.firstLine + i + 1 },
          text.replace(/\r$/, ""),
        ),
        "\n",
      );
    });
    const details = el("details", { open: marked.size > 0 }, el("summary", {}, "Source"), pre);
    item.append(details);
    return item;
  }

  // --- workloads ----------------------------------------------------------------------------

  const BINARY = [["Ei", 2 ** 60], ["Pi", 2 ** 50], ["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]];

  /**
   * A figure as a person reads it, as the CLI's tables show it (podcalc.formats.human):
   * bytes in the largest binary unit that keeps it at 1 or more, cpu in cores from 1 and
   * millicores below, at most two decimals, "~" where rounded. The exact figure is the
   * element's title.
   */
  function humanQuantity(quantity, resource) {
    const value = quantityValue(quantity);
    if (value === 0) return "0";
    if (!Number.isFinite(value)) return String(quantity);
    const bytes = ["memory", "ephemeral-storage", "storage"].includes(resource) || resource.startsWith("hugepages-");
    let scaled, suffix, places;
    if (resource === "cpu") {
      [scaled, suffix, places] = Math.abs(value) >= 1 ? [value, "", 2] : [value * 1000, "m", 0];
    } else if (bytes) {
      const [unit, factor] = BINARY.find(([, f]) => Math.abs(value) >= f) || ["", 1];
      [scaled, suffix, places] = [value / factor, unit, 2];
    } else {
      return String(quantity);
    }
    const shown = Math.round(scaled * 10 ** places) / 10 ** places;
    const rounded = Math.abs(shown - scaled) > 1e-9 * Math.max(1, Math.abs(scaled));
    return `${Number(shown.toFixed(places))}${suffix}${rounded ? "~" : ""}`;
  }

  /**
   * A quota's or node's figure as a person reads it (humanQuantity), by the resource its
   * name measures: requests.memory and limits.memory are memory; absent is "0".
   */
  function shown(quantity, name) {
    return humanQuantity(quantity || "0", name.replace(/^(requests|limits)\./, ""));
  }

  function qty(quantity, resource) {
    return el("span", { class: "qty", title: String(quantity) }, humanQuantity(quantity, resource));
  }

  function figureList(list, unbounded) {
    const entries = Object.entries(list || {});
    const ul = el("ul", { class: "figures" });
    for (const [resource, quantity] of entries) {
      ul.append(el("li", { "data-resource": resource }, el("span", { class: "res" }, resource), " ", qty(quantity, resource)));
    }
    for (const resource of unbounded || []) {
      ul.append(
        el(
          "li",
          { class: "unbounded", "data-resource": resource },
          el("span", { class: "res" }, resource),
          " ",
          el("span", { class: "qty" }, "unbounded"),
        ),
      );
    }
    if (!ul.children.length) return el("span", { class: "none" }, "none");
    return ul;
  }

  /** One resource's figure as text: its quantity, "unbounded" (or both, summed), or "none". */
  function figureText(list, unbounded, resource) {
    const quantity = (list || {})[resource];
    const open = (unbounded || []).includes(resource);
    if (quantity !== undefined) {
      const shown = humanQuantity(quantity, resource);
      return open ? `${shown} + unbounded` : shown;
    }
    return open ? "unbounded" : "none";
  }

  /**
   * The figures as written (figureList's lines) and, beside each resource whose figure the
   * LimitRange defaults change, the figure after them: "cpu 500m → admitted 750m". ``word``
   * is "admitted", or "refused at" when the pods are refused with that figure.
   */
  function figureListWithAdmitted(written, writtenUnbounded, after, afterUnbounded, word) {
    const shown = figureList(written, writtenUnbounded);
    const ul = shown.tagName === "UL" ? shown : el("ul", { class: "figures" });
    const resources = new Set([
      ...Object.keys(written || {}),
      ...(writtenUnbounded || []),
      ...Object.keys(after || {}),
      ...(afterUnbounded || []),
    ]);
    for (const resource of resources) {
      const before = figureText(written, writtenUnbounded, resource);
      const admitted = figureText(after, afterUnbounded, resource);
      if (before === admitted) continue;
      let line = [...ul.children].filter((li) => li.dataset.resource === resource).pop();
      if (!line) {
        line = el("li", { "data-resource": resource }, el("span", { class: "res" }, resource), " ", el("span", { class: "qty" }, "none"));
        ul.append(line);
      }
      line.classList.add("changed");
      const refused = word === "admitted" ? "" : " (the pods are refused: see the Plan)";
      line.title = `${resource}: ${before} as written; ${admitted} after the LimitRange defaults, as the Plan counts it${refused}`;
      line.append(" → ", el("span", { class: "admitted" }, `${word} `, el("span", { class: "qty" }, admitted)));
    }
    return ul.children.length ? ul : shown;
  }

  function qosBadge(qos) {
    return el("span", { class: `badge qos-${qos}` }, qos);
  }

  function renderWorkloads(body) {
    const wrap = $("workloads");
    const rows = body.items.map((item, i) => {
      const label = describeObject(item.kind, item.name);
      const button = el("button", { type: "button", class: "small", "aria-label": `Show the phases of ${label}` }, "Phases");
      button.addEventListener("click", () => {
        $("pod-select").value = String(i);
        renderLifecycle();
        $("lifecycle-title").focus();
      });
      const replicas = item.replicas !== null ? String(item.replicas) : item.podsPerNode !== null ? `${item.podsPerNode} per node` : "—";
      return el(
        "tr",
        { "data-workload": label },
        el(
          "th",
          { scope: "row", "data-col": "workload" },
          label,
          item.namespace ? el("span", { class: "ns" }, ` (namespace ${item.namespace})`) : "",
          el("a", { class: "docref", href: `#doc-${item.document}` }, ` document ${item.document}${item.path ? ` ${item.path}` : ""}`),
        ),
        el("td", { "data-col": "qos" }, qosBadge(item.pod.qosClass)),
        el("td", { "data-col": "requests" }, figureList(item.pod.requests)),
        el("td", { "data-col": "limits" }, figureList(item.pod.limits, item.pod.unboundedLimits)),
        el("td", { "data-col": "replicas", class: "num" }, replicas),
        el("td", { "data-col": "pods", class: "num" }, item.pods !== null ? String(item.pods) : "unknown: give Nodes"),
        el("td", { "data-col": "total-requests" }, item.total ? figureList(item.total.requests) : "—"),
        el("td", { "data-col": "total-limits" }, item.total ? figureList(item.total.limits, item.total.unboundedLimits) : "—"),
        el("td", {}, button),
      );
    });
    const total = body.total;
    const foot = el(
      "tr",
      { "data-workload": "total" },
      el("th", { scope: "row", colspan: 5 }, "Total", total.complete ? "" : el("span", { class: "warn" }, " (incomplete)")),
      el("td", { "data-col": "pods", class: "num" }, String(total.pods)),
      el("td", { "data-col": "total-requests" }, figureList(total.requests)),
      el("td", { "data-col": "total-limits" }, figureList(total.limits, total.unboundedLimits)),
      el("td", {}),
    );
    const head = [
      ["workload", "Workload"],
      ["qos", "QoS class"],
      ["requests", "Requests per pod"],
      ["limits", "Limits per pod"],
      ["replicas", "Replicas"],
      ["pods", "Pods"],
      ["total-requests", "Total requests"],
      ["total-limits", "Total limits"],
      [null, ""],
    ];
    const table = el(
      "table",
      { id: "workload-table", class: "data" },
      el("caption", {}, "Each workload: its pod's effective figures, and the pods it runs at once"),
      el("thead", {}, el("tr", {}, head.map(([col, h]) => el("th", { scope: "col", "data-col": col }, h)))),
      el("tbody", {}, rows),
      el("tfoot", {}, foot),
    );
    wrap.replaceChildren(el("div", { class: "table-scroll" }, table));
    for (const note of total.notes) wrap.append(el("p", { class: "note" }, note));
    if (total.byNamespace.length > 1) {
      wrap.append(
        el(
          "table",
          { class: "data compact", id: "namespace-table" },
          el("caption", {}, "By namespace"),
          el("thead", {}, el("tr", {}, ["Namespace", "Pods", "Requests", "Limits"].map((h) => el("th", { scope: "col" }, h)))),
          el(
            "tbody",
            {},
            total.byNamespace.map((ns) =>
              el(
                "tr",
                {},
                el("th", { scope: "row" }, ns.namespace === null ? "(none set)" : ns.namespace),
                el("td", { class: "num" }, String(ns.pods)),
                el("td", {}, figureList(ns.requests)),
                el("td", {}, figureList(ns.limits, ns.unboundedLimits)),
              ),
            ),
          ),
        ),
      );
    }
    if (body.skipped.length) {
      wrap.append(
        el("h3", {}, "Objects without pods"),
        el(
          "ul",
          { id: "skipped" },
          body.skipped.map((s) => el("li", {}, `${describeObject(s.kind, s.name)} (document ${s.document}): ${s.reason}`)),
        ),
      );
    }
    $("results").hidden = body.items.length === 0 && body.skipped.length === 0;
    const select = $("pod-select");
    select.replaceChildren(
      ...body.items.map((item, i) => el("option", { value: i }, `${describeObject(item.kind, item.name)} (document ${item.document})`)),
    );
    if (body.items.length) {
      renderLifecycle();
    }
  }

  // --- the lifecycle chart ------------------------------------------------------------------

  const PHASE_KIND = { init: "init", sidecarStart: "sidecar start", running: "running" };

  function resourcesOf(pod) {
    const names = new Set(["cpu", "memory"]);
    const add = (list) => Object.keys(list || {}).forEach((r) => names.add(r));
    add(pod.requests);
    add(pod.limits);
    pod.containers.forEach((c) => {
      add(c.requests);
      add(c.limits);
    });
    return [...names];
  }

  function setterLabel(setter) {
    if (setter === "podResources") return "pod-level resources (spec.resources)";
    if (setter === "overhead") return "the pod overhead";
    return setter;
  }

  /** The chart's figures: per phase, each running container's share, and what sets the pod's. */
  function lifecycleFigures(pod, resource, figure) {
    const containers = new Map(pod.containers.map((c, i) => [c.name, { ...c, colour: i % 8 }]));
    const overhead = (pod.overhead || {})[resource];
    const phases = pod.phases.map((phase) => {
      const segments = phase.running.map((name) => {
        const c = containers.get(name);
        const quantity = c ? (c[figure] || {})[resource] : undefined;
        const unbounded = figure === "limits" && quantity === undefined && phase.unboundedLimits.includes(resource);
        return { name, type: c ? c.type : "container", colour: c ? c.colour : 0, quantity, unbounded };
      });
      if (overhead) segments.push({ name: "pod overhead", type: "overhead", colour: "overhead", quantity: overhead });
      const unbounded = figure === "limits" && phase.unboundedLimits.includes(resource);
      return { phase, segments, total: (phase[figure] || {})[resource], unbounded };
    });
    const effective = (pod[figure] || {})[resource];
    const effectiveUnbounded = figure === "limits" && pod.unboundedLimits.includes(resource);
    const setter = pod.determinedBy[figure][resource];
    return { phases, effective, effectiveUnbounded, setter, containers: [...containers.values()], overhead };
  }

  function renderLifecycle() {
    const body = state.body;
    if (!body || !body.items.length) return;
    const item = body.items[Number($("pod-select").value) || 0];
    state.item = item;
    const pod = item.pod;
    const resourceSelect = $("resource-select");
    const previous = resourceSelect.value;
    const resources = resourcesOf(pod);
    resourceSelect.replaceChildren(...resources.map((r) => el("option", { value: r }, r)));
    resourceSelect.value = resources.includes(previous) ? previous : "cpu";
    const resource = resourceSelect.value;
    const figure = $("figure-select").value;
    const label = describeObject(item.kind, item.name);
    const f = lifecycleFigures(pod, resource, figure);

    $("chart").replaceChildren(drawChart(f, resource, figure, label));
    $("legend").replaceChildren(
      ...f.containers.map((c) =>
        el("li", {}, el("span", { class: `swatch c${c.colour}`, "aria-hidden": "true" }), `${c.name} (${c.type === "initContainer" ? "init container" : c.type})`),
      ),
      f.overhead ? el("li", {}, el("span", { class: "swatch coverhead", "aria-hidden": "true" }), "pod overhead") : "",
    );
    $("chart-caption").textContent = captionText(f, resource, figure, label);
    $("phase-table-wrap").replaceChildren(phaseTable(f, resource, figure, label));
    $("lifecycle").hidden = false;
  }

  function effectiveText(f) {
    if (f.effectiveUnbounded) return "unbounded";
    return f.effective !== undefined ? f.effective : "0";
  }

  function captionText(f, resource, figure, label) {
    const effective = effectiveText(f);
    const setBy = f.setter ? `, set by ${setterLabel(f.setter)}` : "";
    return (
      `${label}: ${resource} ${figure} of each phase, stacked by running container. ` +
      `Effective ${resource} ${figure === "requests" ? "request" : "limit"}: ${effective}${setBy}.` +
      (f.effective === undefined && !f.effectiveUnbounded ? ` No container declares ${resource} ${figure}.` : "")
    );
  }

  function drawChart(f, resource, figure, label) {
    const width = 760;
    const height = 340;
    const m = { top: 34, right: 150, bottom: 64, left: 64 };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const stacks = f.phases.map((p) => p.segments.reduce((sum, s) => sum + (quantityValue(s.quantity) || 0), 0));
    const effective = quantityValue(f.effective);
    const ticks = axisTicks(Math.max(effective || 0, ...stacks) || 1, resource);
    const scale = ticks[ticks.length - 1].value * 1.08;
    const y = (v) => m.top + plotH - (v / scale) * plotH;
    const slot = plotW / Math.max(f.phases.length, 1);
    const barW = Math.min(96, slot * 0.56);
    const titleId = "chart-title";
    const descId = "chart-desc";
    const chart = svg(
      "svg",
      { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${titleId} ${descId}`, class: "chart", id: "lifecycle-chart" },
      svg("title", { id: titleId }, `${resource} ${figure} of each phase of ${label}`),
      svg("desc", { id: descId }, `${captionText(f, resource, figure, label)} The table below lists the same figures.`),
    );
    // axis and grid
    for (const tick of ticks) {
      chart.append(
        svg("line", { x1: m.left, x2: m.left + plotW, y1: y(tick.value), y2: y(tick.value), class: tick.value ? "grid" : "axis" }),
        svg("text", { x: m.left - 8, y: y(tick.value) + 4, class: "tick", "text-anchor": "end" }, tick.label),
      );
    }
    f.phases.forEach((p, i) => {
      const x = m.left + slot * i + (slot - barW) / 2;
      const sets = f.setter === p.phase.id;
      const group = svg("g", { class: sets ? "phase sets" : "phase", "data-phase": p.phase.id });
      let base = 0;
      for (const s of p.segments) {
        const v = quantityValue(s.quantity) || 0;
        if (v > 0) {
          group.append(
            svg(
              "rect",
              { x, y: y(base + v), width: barW, height: Math.max(y(base) - y(base + v), 0.5), class: `seg c${s.colour}`, "data-container": s.name },
              svg("title", {}, `${s.name}: ${s.quantity}`),
            ),
          );
        }
        base += v;
      }
      if (sets) {
        group.append(svg("rect", { x: x - 3, y: y(base) - 3, width: barW + 6, height: y(0) - y(base) + 3, class: "sets-outline" }));
      }
      const total = p.unbounded ? "unbounded" : p.total !== undefined ? p.total : "0";
      group.append(svg("text", { x: x + barW / 2, y: y(base) - 8, class: "bar-label", "text-anchor": "middle" }, total));
      const kind = PHASE_KIND[p.phase.kind] || p.phase.kind;
      group.append(
        svg("text", { x: x + barW / 2, y: m.top + plotH + 18, class: "phase-label", "text-anchor": "middle" }, kind),
        svg("text", { x: x + barW / 2, y: m.top + plotH + 34, class: "phase-label name", "text-anchor": "middle" }, p.phase.container || "all containers"),
      );
      if (sets) {
        group.append(svg("text", { x: x + barW / 2, y: m.top + plotH + 52, class: "sets-label", "text-anchor": "middle" }, "★ sets effective"));
      }
      chart.append(group);
    });
    if (effective > 0) {
      chart.append(
        svg("line", { x1: m.left, x2: m.left + plotW, y1: y(effective), y2: y(effective), class: "effective" }),
        svg("text", { x: m.left + plotW + 8, y: y(effective) + 4, class: "effective-label" }, `effective ${f.effective}`),
      );
    } else {
      chart.append(
        svg(
          "text",
          { x: m.left + plotW / 2, y: m.top + plotH / 2, class: "empty-label", "text-anchor": "middle" },
          f.effectiveUnbounded ? `${resource} limit: unbounded` : `no ${resource} ${figure} declared`,
        ),
      );
    }
    if (f.setter && !f.phases.some((p) => p.phase.id === f.setter)) {
      chart.append(svg("text", { x: m.left + plotW + 8, y: y(effective) + 20, class: "effective-label" }, `set by ${f.setter}`));
    }
    return chart;
  }

  function phaseTable(f, resource, figure, label) {
    const rows = f.phases.map((p) => {
      const sets = f.setter === p.phase.id;
      const parts = p.segments.map((s) => `${s.name} ${s.unbounded ? "unbounded" : s.quantity !== undefined ? s.quantity : "0"}`);
      return el(
        "tr",
        { "data-phase": p.phase.id, class: sets ? "sets" : null },
        el("th", { scope: "row", "data-col": "phase" }, p.phase.id),
        el("td", { "data-col": "running" }, p.phase.running.join(", ")),
        el("td", { "data-col": "per-container" }, parts.join(" + ")),
        el("td", { "data-col": "total", class: "num" }, p.unbounded ? "unbounded" : p.total !== undefined ? p.total : "0"),
        el("td", { "data-col": "sets" }, sets ? "★ sets effective" : ""),
      );
    });
    const foot = el(
      "tr",
      { "data-phase": "effective" },
      el("th", { scope: "row", colspan: 3 }, `Pod's effective ${figure === "requests" ? "request" : "limit"}`),
      el("td", { "data-col": "total", class: "num" }, effectiveText(f)),
      el("td", { "data-col": "sets" }, f.setter ? `set by ${setterLabel(f.setter)}` : ""),
    );
    return el(
      "table",
      { class: "data", id: "phase-table" },
      el("caption", {}, `${resource} ${figure} of ${label}, phase by phase (the chart's figures)`),
      el("thead", {}, el("tr", {}, ["Phase", "Running", "Per container", "Phase total", "Effective"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows),
      el("tfoot", {}, foot),
    );
  }

  // --- the plan -----------------------------------------------------------------------------

  /** Asks /v1/plan with the same stream; a server without the route keeps the placeholder. */
  async function requestPlan(request, query) {
    let response;
    try {
      // with a cluster snapshot, the manifests are planned on the cluster as it runs
      const body = state.snapshot ? JSON.stringify({ cluster: state.snapshot.text, manifests: request.body }) : request.body;
      response = await fetch(`/v1/plan${query}`, {
        method: "POST",
        headers: { "Content-Type": state.snapshot ? "application/json" : request.contentType, Accept: "application/json" },
        body,
      });
    } catch (_) {
      return;
    }
    if (response.status === 404 || response.status === 405) return; // not served here (yet)
    const answer = await response.json().catch(() => null);
    if (state.request !== request) return; // a newer calculation has started: this answer is stale
    if (response.ok && answer) {
      renderPlan(answer);
      markAdmittedFigures(answer);
    } else if (answer) {
      const box = $("plan-body");
      box.replaceChildren(
        el("p", { class: "problem" }, `${answer.title || "Error"}: ${answer.detail || ""}`),
        el(
          "ul",
          { class: "problems" },
          (answer.errors || []).map((e) =>
            el("li", { class: "problem" }, typeof e.document === "number" ? `document ${e.document} ` : "", e.pointer ? el("code", { class: "pointer" }, e.pointer) : "", " ", e.detail),
          ),
        ),
      );
    }
  }

  const AS_WRITTEN = "as written, before LimitRange defaults";

  /**
   * With LimitRanges in the stream, the Workloads table shows the pods as written: its
   * figure columns say so, and each figure the LimitRanges change gets the admitted one
   * beside it (the Plan's), so that the table and the Plan never show one pod two ways
   * unlabelled. A workload is matched to its planned item by document and path.
   */
  function markAdmittedFigures(plan) {
    const table = $("workload-table");
    if (!table || !(plan.limitRanges || []).length || !state.body) return;
    table.querySelector("caption").textContent =
      "Each workload as written, before LimitRange defaults; the admitted figures beside those the LimitRanges change";
    for (const col of ["requests", "limits", "total-requests", "total-limits"]) {
      table.querySelector(`thead th[data-col="${col}"]`).append(el("span", { class: "hint as-written" }, AS_WRITTEN));
    }
    const byNamespace = $("namespace-table");
    if (byNamespace) byNamespace.querySelector("caption").textContent = `By namespace (${AS_WRITTEN})`;
    const planned = new Map((plan.items || []).map((p) => [`${p.document} ${p.path}`, p]));
    const rows = table.querySelectorAll("tbody tr");
    state.body.items.forEach((item, i) => {
      const p = planned.get(`${item.document} ${item.path}`);
      if (!p || !p.pod || !rows[i]) return;
      const refused = p.admission.podsAdmitted === 0 && p.admission.podsRefused > 0;
      const word = refused ? "refused at" : "admitted";
      const columns = [["requests", item.pod.requests, [], p.pod.requests, []]];
      columns.push(["limits", item.pod.limits, item.pod.unboundedLimits, p.pod.limits, p.pod.unboundedLimits]);
      if (item.total && p.total) {
        columns.push(["total-requests", item.total.requests, [], p.total.requests, []]);
        columns.push(["total-limits", item.total.limits, item.total.unboundedLimits, p.total.limits, p.total.unboundedLimits]);
      }
      for (const [col, written, writtenUnbounded, after, afterUnbounded] of columns) {
        const cell = rows[i].querySelector(`[data-col="${col}"]`);
        cell.replaceChildren(figureListWithAdmitted(written, writtenUnbounded, after, afterUnbounded, word));
      }
    });
  }

  /**
   * The plan view, from a 200 answer of /v1/plan: admission per workload, each quota's
   * usage against its hard limits (a meter per resource, the binding one highlighted), and
   * pods per node for each node shape and Node, the limiting resource highlighted.
   * Figures are shown as the API prints them; the meters only draw them.
   */
  function renderPlan(body) {
    const items = body.items || [];
    const label = (i) => (items[i] ? `${items[i].kind}/${items[i].name || "(unnamed)"}` : `item ${i}`);
    const parts = [];

    const admissionRows = items.map((item, i) =>
      el(
        "tr",
        { class: item.admission.admitted ? "" : "refused", "data-workload": describeObject(item.kind, item.name) },
        el("th", { scope: "row" }, label(i), el("span", { class: "ns" }, item.namespace)),
        el("td", { "data-col": "requests" }, item.pod ? figureList(item.pod.requests) : "—"),
        el("td", { "data-col": "limits" }, item.pod ? figureList(item.pod.limits, item.pod.unboundedLimits) : "—"),
        el("td", {}, String(item.pods ?? "1/node")),
        el("td", {}, String(item.admission.podsAdmitted)),
        el("td", {}, item.quota.morePods === null ? "no quota" : `${item.quota.morePods} (${item.quota.limitedBy.resource})`),
        el(
          "td",
          {},
          item.admission.rejections.length
            ? el("ul", { class: "problems" }, item.admission.rejections.map((r) => el("li", { class: "problem" }, `${r.by}: ${r.message}`)))
            : "admitted",
          item.limitRangeDefaults.annotation ? el("span", { class: "hint annotation" }, item.limitRangeDefaults.annotation) : "",
        ),
      ),
    );
    // the per-pod figures are the admitted ones: after the LimitRanges' defaults, if any
    const afterDefaults = () => ((body.limitRanges || []).length ? el("span", { class: "hint as-admitted" }, "after LimitRange defaults") : "");
    const admissionHead = [
      "Workload",
      ["Requests per pod", afterDefaults()],
      ["Limits per pod", afterDefaults()],
      "Pods",
      "Admitted",
      "More pods (quota)",
      "Outcome",
    ];
    parts.push(
      el(
        "table",
        { class: "data", id: "plan-admission" },
        el("caption", {}, "Admission: LimitRanges, then quotas, pod by pod in stream order"),
        el("thead", {}, el("tr", {}, ...admissionHead.map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, admissionRows),
      ),
    );

    for (const q of body.quotas || []) {
      const rows = Object.keys(q.hard).map((name) => {
        const share = q.utilisation[name];
        const percent = share === null ? 100 : parseFloat(share);
        const binding = name === q.binding;
        const meter = el("meter", {
          min: 0,
          max: 100,
          low: 80,
          high: 99.99,
          optimum: 0,
          value: Math.min(percent, 100),
          "aria-label": `${name}: ${q.total[name] || "0"} of ${q.hard[name]}`,
        });
        return el(
          "li",
          { class: `quota-line${binding ? " binding" : ""}${q.exceeded.includes(name) ? " over" : ""}`, "data-resource": name },
          el("span", { class: "quota-name" }, name),
          meter,
          el("span", { class: "quota-figures" }, `${shown(q.total[name], name)} of ${shown(q.hard[name], name)} (${share === null ? "over a limit of 0" : share})`),
          binding ? el("strong", { class: "badge binds" }, "binds first") : "",
        );
      });
      parts.push(
        el(
          "section",
          { class: "quota", "aria-label": `quota ${q.name}` },
          el("h3", {}, `ResourceQuota ${q.namespace || "default"}/${q.name}: `, el("span", { class: q.fits ? "ok" : "problem" }, q.fits ? "fits" : "does not fit")),
          el("ul", { class: "quota-lines" }, rows),
          q.rejections.length ? el("ul", { class: "problems" }, q.rejections.map((r) => el("li", { class: "problem" }, `${label(r.item)}: ${r.pods} pod(s) refused: ${r.message}`))) : "",
        ),
      );
    }

    const fitTable = (caption, fits, id) =>
      el(
        "table",
        { class: "data pods-per-node", id },
        el("caption", {}, caption),
        el("thead", {}, el("tr", {}, ...["Workload", "Pods per node", "Limited by"].map((h) => el("th", { scope: "col" }, h)))),
        el(
          "tbody",
          {},
          fits.map((f) => el("tr", {}, el("th", { scope: "row" }, label(f.item)), el("td", {}, String(f.pods)), el("td", {}, el("strong", { class: "limiting" }, f.limitedBy)))),
        ),
      );

    for (const shape of body.nodeShapes || []) {
      parts.push(
        el(
          "section",
          { class: "shape", "aria-label": `node shape ${shape.name}` },
          el("h3", {}, `Node shape ${shape.name} (${shape.reservation.model}): `, el("span", { class: "nodes-needed" }, `${shape.nodesNeeded} node(s) needed`)),
          el("p", { class: "hint" }, `allocatable ${Object.entries(shape.allocatable).map(([k, v]) => `${k}=${shown(v, k)}`).join(" ")}; ${shape.packing}`),
          fitTable(`Pods per ${shape.name} node`, shape.podsPerNode, `fit-${shape.name}`),
          shape.unplaced.length ? el("ul", { class: "problems" }, shape.unplaced.map((u) => el("li", { class: "problem" }, `${label(u.item)}: ${u.pods} pod(s) fit on no node`))) : "",
        ),
      );
    }
    if (body.nodes) {
      for (const node of body.nodes.nodes) {
        parts.push(
          el(
            "section",
            { class: "node", "aria-label": `node ${node.name}` },
            el("h3", {}, `Node ${node.name}`),
            el("p", { class: "hint" }, `free ${Object.entries(node.free).map(([k, v]) => `${k}=${shown(v, k)}`).join(" ")}`),
            fitTable(`Pods per node on ${node.name}`, node.podsPerNode, `fit-node-${node.name}`),
          ),
        );
      }
      parts.push(el("p", { class: body.nodes.fits ? "ok" : "problem" }, body.nodes.fits ? "Every admitted pod fits on the Nodes given." : "Not every admitted pod fits on the Nodes given."));
    }
    if (body.cluster) parts.unshift(renderCluster(body));
    const cluster = (body.quotas || []).length + (body.nodeShapes || []).length + (body.limitRanges || []).length;
    const planned = cluster > 0 || Boolean(body.nodes) || Boolean(body.cluster);
    $("plan-placeholder").hidden = planned; // without cluster objects there is nothing to plan against
    $("plan-body").replaceChildren(...(planned ? parts : []));
    return body;
  }

  /**
   * A plan on a running cluster: the answer first, then each Node as bars of what its pods
   * use and what is free (with the new pods placed on it), and each quota as a meter per
   * resource after the change, the rollout's peak marked beside it.
   */
  function renderCluster(body) {
    const block = body.cluster;
    const share = (used, total) => {
      const t = quantityValue(total);
      return t > 0 ? Math.min(100, (100 * quantityValue(used || "0")) / t) : 0;
    };
    const section = el(
      "section",
      { id: "cluster-plan", "aria-label": "On the cluster as it runs" },
      el("h3", {}, "On the cluster as it runs"),
      el("p", { id: "cluster-answer", class: block.fits ? "ok" : "problem" }, block.answer),
      el("p", { class: "hint" }, `snapshot: ${block.snapshot.pods} pod(s) running or pending in ${block.snapshot.workloads} workload(s); ${block.snapshot.ended} ended, counted nowhere`),
      ...block.snapshot.notes.map((n) => el("p", { class: "note" }, n)),
    );
    if (body.nodes) {
      const placed = new Map(body.nodes.placement.map((g) => [g.name, g.placed.reduce((n, p) => n + p.pods, 0)]));
      const rows = body.nodes.nodes.map((node) =>
        el(
          "li",
          { class: "node-bars", "data-node": node.name },
          el("span", { class: "quota-name" }, node.name),
          ...["cpu", "memory"].map((r) =>
            el("meter", { min: 0, max: 100, value: share(node.running[r], node.allocatable[r]), "aria-label": `${node.name} ${r}: ${node.running[r] || "0"} used of ${node.allocatable[r]}` }),
          ),
          el("span", { class: "quota-figures" }, `used cpu ${shown(node.running.cpu, "cpu")}, memory ${shown(node.running.memory, "memory")}; free cpu ${shown(node.free.cpu, "cpu")}, memory ${shown(node.free.memory, "memory")}; new pods placed: ${placed.get(node.name) || 0}`),
        ),
      );
      section.append(el("h4", {}, "Nodes: used (cpu, memory) and free"), el("ul", { class: "quota-lines", id: "cluster-nodes" }, rows));
    }
    for (const q of block.quotas) {
      const rows = Object.keys(q.hard).map((name) =>
        el(
          "li",
          { class: "quota-line", "data-resource": name },
          el("span", { class: "quota-name" }, name),
          el("meter", { min: 0, max: 100, high: 99.99, optimum: 0, value: share(q.after[name], q.hard[name]), "aria-label": `${name} after the change: ${q.after[name] || "0"} of ${q.hard[name]}` }),
          el("meter", { class: "peak", min: 0, max: 100, high: 99.99, optimum: 0, value: share(q.atRolloutPeak[name], q.hard[name]), "aria-label": `${name} at the rollout peak: ${q.atRolloutPeak[name] || "0"} of ${q.hard[name]}` }),
          el("span", { class: "quota-figures" }, `used ${shown(q.used[name], name)}, after ${shown(q.after[name], name)}, at the rollout peak ${shown(q.atRolloutPeak[name], name)} of ${shown(q.hard[name], name)}`),
        ),
      );
      section.append(
        el("h4", {}, `ResourceQuota ${q.namespace || "default"}/${q.name}`),
        el("ul", { class: "quota-lines", "aria-label": `quota ${q.name} on the cluster` }, rows),
        ...q.stalls.map((s) => el("p", { class: "problem" }, s)),
      );
    }
    return section;
  }

  // --- wiring -------------------------------------------------------------------------------

  function init() {
    const form = $("input-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      calculate();
    });
    $("manifests").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        calculate();
      }
    });
    $("snapshot").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      state.snapshot = file ? { name: file.name, text: await file.text() } : null;
      $("snapshot-name").textContent = state.snapshot ? `${state.snapshot.name} (${state.snapshot.text.length} characters)` : "";
    });
    $("files").addEventListener("change", async (event) => {
      await addFiles(event.target.files);
      event.target.value = "";
    });
    $("clear").addEventListener("click", () => {
      $("manifests").value = "";
      state.files = [];
      renderFileList();
      resetResults();
      $("status").textContent = "Cleared.";
      $("manifests").focus();
    });
    // Files dropped anywhere on the form are added; elsewhere, a drop must not navigate away.
    for (const type of ["dragover", "drop"]) {
      document.addEventListener(type, (event) => event.preventDefault());
    }
    form.addEventListener("dragover", () => $("dropzone").classList.add("dragging"));
    form.addEventListener("dragleave", () => $("dropzone").classList.remove("dragging"));
    form.addEventListener("drop", (event) => {
      $("dropzone").classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
    });
    for (const id of ["pod-select", "resource-select", "figure-select"]) {
      $(id).addEventListener("change", renderLifecycle);
    }
  }

  // For the end-to-end tests, and for whoever wires the plan view.
  window.podcalc = { splitDocuments, buildRequest, locatePointer, quantityValue, renderPlan };

  init();
})();
