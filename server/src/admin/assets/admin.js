// banchi CS page: live preview of how the address being added parses.
// Loaded as the page's only script (Content-Security-Policy: script-src 'self'). It writes
// with textContent only, never HTML, so nothing typed into a field can become markup.
"use strict";

(function () {
  const field = document.getElementById("add-address");
  const box = document.getElementById("preview");
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!field || !box || !meta) {
    return;
  }
  const csrf = meta.getAttribute("content") || "";
  let timer = null;
  let asked = 0;

  function row(table, ja, en, value) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = ja + " ";
    const span = document.createElement("span");
    span.className = "en";
    span.textContent = en;
    th.appendChild(span);
    const td = document.createElement("td");
    td.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
    tr.appendChild(th);
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function show(answer) {
    box.replaceChildren();
    const table = document.createElement("table");
    table.className = "parts";
    if (answer.error) {
      box.dataset.level = "none";
      row(table, "解析できません", "did not parse", answer.error);
    } else {
      box.dataset.level = answer.level || "none";
      row(table, "判定レベル", "level", answer.level);
      row(table, "正規化", "normalized", answer.normalized);
      row(table, "キー", "key", answer.key);
      if (answer.anomalies && answer.anomalies.length) {
        row(table, "注意点", "anomalies", answer.anomalies.join(", "));
      }
      if (answer.level !== "block" && answer.level !== "unit") {
        row(table, "登録不可", "cannot be added", "番地まで必要です / a block number is needed");
      }
    }
    box.appendChild(table);
  }

  async function ask(address, n) {
    try {
      const res = await fetch("/admin/api/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ address: address }),
      });
      if (n !== asked || !res.ok) {
        return;
      }
      show(await res.json());
    } catch (e) {
      // The preview is a help only: the form still works without it.
    }
  }

  field.addEventListener("input", function () {
    clearTimeout(timer);
    const address = field.value.trim();
    asked += 1;
    const n = asked;
    if (address === "") {
      box.replaceChildren();
      delete box.dataset.level;
      return;
    }
    timer = setTimeout(function () {
      ask(address, n);
    }, 250);
  });
})();
