// The next-letter model in plain JavaScript: the LSTM cell of the recap, one gate per
// line, unrolled over the letters, then the dense softmax layer. It reads the five arrays
// the Python models hold (Keras's layout: the gates side by side in the order i, f, g, o).
const NextLetterModel = (() => {
  const ALPHABET = "abcdefghijklmnopqrstuvwxyz";

  // One array of the weights asset: base64 of little-endian float32 values, row-major.
  function decode({ shape, float32 }) {
    const bytes = Uint8Array.from(atob(float32), (char) => char.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    const values = Array.from({ length: bytes.length / 4 }, (_, k) => view.getFloat32(4 * k, true));
    if (shape.length === 1) return values;
    return Array.from({ length: shape[0] }, (_, row) =>
      values.slice(row * shape[1], (row + 1) * shape[1]));  // a matrix: an array of rows
  }

  function load(asset) {
    const arrays = asset.arrays;
    return {
      window: asset.config.window,
      units: asset.config.units,
      kernel: decode(arrays.lstm_kernel),  // (26, 4 * units)
      recurrentKernel: decode(arrays.lstm_recurrent_kernel),  // (units, 4 * units)
      bias: decode(arrays.lstm_bias),  // (4 * units)
      denseKernel: decode(arrays.dense_kernel),  // (units, 26)
      denseBias: decode(arrays.dense_bias),  // (26)
    };
  }

  const sigmoid = (x) => 1 / (1 + Math.exp(-x));
  const add = (a, b) => a.map((value, j) => value + b[j]);
  // A row vector (n) times a matrix (n, m): (m)
  const times = (vector, matrix) =>
    matrix[0].map((_, j) => vector.reduce((sum, value, i) => sum + value * matrix[i][j], 0));
  const oneHot = (index) => Array.from(ALPHABET, (_, k) => (k === index ? 1 : 0));  // (26)

  function softmax(logits) {
    const top = Math.max(...logits);
    const exps = logits.map((logit) => Math.exp(logit - top));
    const total = exps.reduce((sum, value) => sum + value, 0);
    return exps.map((value) => value / total);
  }

  // The probabilities of the 26 letters after `letters` (lower-case, at least `window`).
  function predict(model, letters) {
    const n = model.units;
    let h = new Array(n).fill(0);  // hidden state (units)
    let c = new Array(n).fill(0);  // cell state (units)
    for (const letter of letters.slice(-model.window)) {
      const x = oneHot(ALPHABET.indexOf(letter));  // (26)
      const z = add(add(times(x, model.kernel), times(h, model.recurrentKernel)), model.bias);
      const i = z.slice(0, n).map(sigmoid);  // input gate: how much of the candidate to write
      const f = z.slice(n, 2 * n).map(sigmoid);  // forget gate: how much of the old cell to keep
      const g = z.slice(2 * n, 3 * n).map(Math.tanh);  // candidate cell values
      const o = z.slice(3 * n).map(sigmoid);  // output gate: how much of the cell to show
      c = c.map((old, j) => f[j] * old + i[j] * g[j]);
      h = c.map((cell, j) => o[j] * Math.tanh(cell));
    }
    return softmax(add(times(h, model.denseKernel), model.denseBias));  // (26)
  }

  return { ALPHABET, load, predict };
})();
