// Generator page: the server's validation rules, repeated in the browser so a farmer sees the
// address, the curl command and the iPXE line as they type, and mistakes before any request.
// The server stays the authority; without this file the form still works (GET /generate).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("generator");
  if (!form) return;
  const base = form.dataset.base;
  const argsChars = new Set([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", ...form.dataset.argsChars]);
  const maxArgs = Number(form.dataset.maxArgs), maxFarmer = Number(form.dataset.maxFarmer);
  const reserved = form.dataset.reserved.split(" ");
  const unexpressible = new RegExp(form.dataset.argsUnexpressible);   // the server's ArgsSegment rule
  const field = (id) => document.getElementById(id);
  const result = field("result");

  function describe(c) {
    const code = "U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    return c >= " " && c <= "~" ? `'${c}' (${code})` : code;
  }

  function problems() {
    const found = {};
    const farmer = field("farmer").value;
    if (farmer === "") found.farmer = "Enter your farm id (digits only).";
    else if (!/^[0-9]+$/.test(farmer)) found.farmer = `Character ${describe([...farmer].find((c) => c < "0" || c > "9"))} is not allowed; a farm id is digits only.`;
    else if (farmer.length > maxFarmer) found.farmer = `A farm id is 1 to ${maxFarmer} digits.`;
    const args = field("args").value;
    const bad = [...args].find((c) => !argsChars.has(c));
    const cannot = args.match(unexpressible);
    if (bad !== undefined) found.args = `Character ${describe(bad)} is not allowed; allowed are letters, digits, space and = _ . , : - + /.`;
    else if (cannot) found.args = cannot[0] === "___"
      ? "Three underscores in a row cannot be written in a URL, where ___ stands for '/'."
      : "'_' right before '/' cannot be written in a URL, where '/' travels as ___ (put another character between them).";
    else if (args.trim().split(/ +/).join(" ").length > maxArgs) found.args = `At most ${maxArgs} characters.`;
    else {
      const key = args.trim().split(/ +/).map((w) => w.split("=")[0]).find((k) => reserved.includes(k.toLowerCase()));
      if (key !== undefined) found.args = `'${key}' is set by the service and cannot be given in args (reserved: ${reserved.join(", ")}).`;
    }
    return found;
  }

  function show(found) {
    for (const name of ["farmer", "args"]) {
      const error = field(name + "-error");
      const input = field(name);
      if (found[name]) { error.textContent = found[name]; error.hidden = false; input.setAttribute("aria-invalid", "true"); }
      else { error.textContent = ""; error.hidden = true; input.removeAttribute("aria-invalid"); }
    }
  }

  function update() {
    const found = problems();
    if (Object.keys(found).length > 0) { result.hidden = true; return found; }
    const network = field("network").value;
    const choice = form.querySelector("input[name=format]:checked");
    const kernel = field("kernel") ? field("kernel").value : "";
    const args = field("args").value.trim().split(/ +/).filter(Boolean).join(" ").replaceAll("/", "___").replaceAll(" ", "%20");
    let tail = `/${network}/${field("farmer").value}`;
    if (args || kernel) tail += "/" + (args || "%20");
    if (kernel) tail += "/" + kernel;
    const path = `/${choice.value}${tail}`;
    const fileName = choice.dataset.file.replace("{network}", network);
    const download = field("download");
    download.href = path;
    download.setAttribute("download", fileName);
    field("file-name").textContent = fileName;
    field("url").value = base + path;
    field("curl").value = `curl -o ${fileName} '${base + path}'`;
    field("chain").value = `chain ${base}/ipxe${tail}`;
    result.hidden = false;
    return found;
  }

  form.addEventListener("input", () => { if (!result.hidden || form.dataset.touched) { form.dataset.touched = "1"; show(update()); } });
  form.addEventListener("change", () => { if (form.dataset.touched) show(update()); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();   // everything the server would answer is computed here: no request needed
    form.dataset.touched = "1";
    const found = update();
    show(found);
    const first = ["farmer", "args"].find((name) => found[name]);
    if (first) field(first).focus();
    else field("download").focus();
  });

  for (const button of document.querySelectorAll("button.copy")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const input = field(button.dataset.copy);
      try { await navigator.clipboard.writeText(input.value); }
      catch { input.select(); document.execCommand("copy"); }
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
  }
});
