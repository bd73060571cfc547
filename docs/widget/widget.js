// The next-letter widget: a text box, and under it the model's 26 probabilities (or the
// `data-top` most likely ones) as a sorted bar chart (an ordered list, so screen readers
// read letters and percentages).
// Bad input gets the message the command line gives (`alphabet-tutorial predict`), in
// words the Python package writes: see `problem` below; so does a weights.json that is not
// a model (`invalid`). The loader (loader.js) calls `parse`, then `mount` once the widget
// is in view and the weights have arrived.
const NextLetterWidget = (() => {
  const { ALPHABET } = NextLetterModel;
  const NAMES = ["lstm_kernel", "lstm_recurrent_kernel", "lstm_bias", "dense_kernel", "dense_bias"];
  const MAX_UNITS = 512;  // the largest model the widget runs: its forward pass is plain JavaScript
  const MAX_TEXT = 8e6;  // characters of weights.json; a model of MAX_UNITS units takes 6 million
  const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

  // The shapes of the five arrays, in NAMES order (weight_shapes in alphabet_tutorial/weights.py).
  const shapes = (units) => [[26, 4 * units], [units, 4 * units], [4 * units], [units, 26], [26]];
  const tuple = (shape) => `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;  // as Python
  const quoted = (value) => JSON.stringify(value) ?? String(value);
  // Bytes that base64 `text` holds, read from its length: nothing is decoded.
  const base64Bytes = (text) => (text.length / 4) * 3 - text.match(/=*$/)[0].length;

  // The text of weights.json as data, refused before parsing when it is too large to be ours.
  function parse(text) {
    if (text.length > MAX_TEXT) {
      throw new Error(`weights.json: it holds ${text.length} characters, more than the ` +
        `${MAX_TEXT} a model the widget runs takes`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Error("weights.json: it is not JSON");
    }
  }

  // What is wrong with the data of weights.json, in the words of the package's checks
  // (alphabet_tutorial/weights.py), or null. Nothing is decoded here, so a huge declared
  // shape costs nothing.
  function invalid(asset) {
    const config = asset?.config;
    if (typeof config !== "object" || config === null) return "it has no config";
    const { window, units, wrap } = config;
    if (!Number.isInteger(window) || window < 1 || window >= ALPHABET.length) {
      return `window must be a whole number from 1 to ${ALPHABET.length - 1}, got ${quoted(window)}`;
    }
    if (!Number.isInteger(units) || units < 1 || units > MAX_UNITS) {
      return `units must be a whole number from 1 to ${MAX_UNITS} ` +
        `(the largest model the widget runs), got ${quoted(units)}`;
    }
    if (typeof wrap !== "boolean") return `wrap must be true or false, got ${quoted(wrap)}`;
    const needed = shapes(units);
    for (const [k, name] of NAMES.entries()) {
      const array = asset.arrays?.[name];
      if (!Array.isArray(array?.shape) || typeof array.float32 !== "string") {
        return `it has no array ${name}`;
      }
      const needs = needed[k];
      if (array.shape.length !== needs.length || array.shape.some((n, j) => n !== needs[j])) {
        return `${name} has shape ${tuple(array.shape)}, but units=${units} needs ${tuple(needs)}`;
      }
      if (array.float32.length % 4 || !BASE64.test(array.float32)) return `${name} is not base64 text`;
      const bytes = base64Bytes(array.float32);
      const size = 4 * needs.reduce((product, n) => product * n, 1);
      if (bytes !== size) return `${name} holds ${bytes} bytes, but shape ${tuple(needs)} needs ${size}`;
    }
    return null;
  }

  // The model of weights.json's data; an Error saying what is wrong if it is not one.
  function modelOf(asset) {
    const problem = invalid(asset);
    if (problem !== null) throw new Error(`weights.json: ${problem}`);
    const model = NextLetterModel.load(asset);
    const { kernel, recurrentKernel, bias, denseKernel, denseBias } = model;
    const arrays = [kernel, recurrentKernel, bias, denseKernel, denseBias];  // in NAMES order
    const bad = NAMES.find((_, k) => !arrays[k].flat().every(Number.isFinite));
    if (bad !== undefined) {
      throw new Error(`weights.json: ${bad} holds non-finite values (NaN or infinity)`);
    }
    return model;
  }

  // Python's repr() of a string, so that messages quote text exactly as the package does.
  function pythonRepr(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    const named = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", [quote]: "\\" + quote };
    let out = "";
    for (const char of text) {
      const code = char.codePointAt(0);
      if (char in named) out += named[char];
      else if (char === " " || !/[\p{C}\p{Z}]/u.test(char)) out += char;  // printable
      else if (code < 0x100) out += "\\x" + code.toString(16).padStart(2, "0");
      else if (code < 0x10000) out += "\\u" + code.toString(16).padStart(4, "0");
      else out += "\\U" + code.toString(16).padStart(8, "0");
    }
    return quote + out + quote;
  }

  // What is wrong with `text` as a prompt, in the package's words (task.encode_prompt),
  // or null when the model can read it.
  function problem(text, window) {
    if (!text) return "expected at least one letter, got an empty string ''";
    const lower = text.toLowerCase();
    if (text !== lower && text !== text.toUpperCase()) {
      return `mixed-case text ${pythonRepr(text)}: use all lower-case or all upper-case`;
    }
    const letters = [...lower];
    const bad = letters.find((char) => !ALPHABET.includes(char));
    if (bad !== undefined) {
      return `${pythonRepr(bad)} in ${pythonRepr(text)} is not a letter from a to z`;
    }
    if (letters.length < window) {
      return `${pythonRepr(text)} has ${letters.length} letter(s); the model reads windows of ${window}`;
    }
    return null;
  }

  // The command line's note for a prompt that is not one of the task's windows, or null.
  function unseenNote(letters, config) {
    const prompt = letters.slice(-config.window);
    const start = ALPHABET.indexOf(prompt[0]);
    const consecutive = [...prompt].every((char, k) => char === ALPHABET[(start + k) % 26]);
    const hasNext = config.wrap || start + config.window < 26;
    if (consecutive && hasNext) return null;
    return `note: ${pythonRepr(prompt)} is not a window of the task; the model never saw it`;
  }

  // The model's answer to `text`: {problem} for text it cannot read, else the 26
  // probabilities in alphabetical order, the letters ranked, and the note for unseen text.
  function answer(model, config, text) {
    const message = problem(text, model.window);
    if (message !== null) return { problem: message };
    const letters = text.toLowerCase();
    const probabilities = NextLetterModel.predict(model, letters);
    const ranked = [...ALPHABET]
      .map((letter, k) => ({ letter, probability: probabilities[k] }))
      .sort((a, b) => b.probability - a.probability);
    return { probabilities, ranked, note: unseenNote(letters, config) };
  }

  const percent = (probability) => `${(100 * probability).toFixed(2)}%`;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function mount(root, asset) {
    const model = modelOf(asset);
    const input = root.querySelector("input");
    const status = root.querySelector(".next-letter__status");
    const chart = root.querySelector(".next-letter__chart");
    root.querySelector(".next-letter__source").textContent =
      `Weights: the ${asset.title ?? asset.impl} model trained in this tutorial ` +
      `(window ${model.window}, ${model.units} units).`;
    const shown = Number(root.dataset.top) || ALPHABET.length;  // rows of the chart

    function update() {
      const text = input.value;
      const { problem: message, ranked, note } = answer(model, asset.config, text);
      root.classList.toggle("next-letter--error", message !== undefined);
      input.setAttribute("aria-invalid", message === undefined ? "false" : "true");
      chart.replaceChildren();
      if (message !== undefined) {
        status.textContent = message;
        return;
      }
      const [best] = ranked;
      status.textContent = `Most likely after ${text}: ${best.letter} (${percent(best.probability)})` +
        (note ? `. ${note}` : "");
      chart.replaceChildren(...ranked.slice(0, shown).map(({ letter, probability }, rank) => {
        const row = element("li", rank === 0 ? "next-letter__top" : "");
        const bar = element("span", "next-letter__bar");
        bar.setAttribute("aria-hidden", "true");
        bar.style.setProperty("--probability", probability.toFixed(4));
        const pause = element("span", "next-letter__pause", ", ");  // heard "d, 97.12%"
        row.append(element("span", "next-letter__letter", letter), pause, bar,
          element("span", "next-letter__value", percent(probability)));
        return row;
      }));
    }

    input.addEventListener("input", update);
    update();
  }

  return { answer, mount, parse, problem, pythonRepr };
})();
