// Starts the next-letter widget when it scrolls into view. Until then nothing of it loads:
// its scripts, its styles and the weights (weights.json, written by the site build) are
// fetched the first time a widget becomes visible. Material's instant navigation swaps
// pages without reloading them, so this runs on every page Material's document$ emits.
(() => {
  const base = new URL(".", document.currentScript.src);
  let scripts = null;  // lstm.js then widget.js, loaded once for every page
  let weights = null;  // the text of weights.json, fetched again only after a failed fetch
  let observer = null;

  function script(name) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = new URL(name, base);
      tag.onload = resolve;
      tag.onerror = () => reject(new Error(`could not load ${tag.src}`));
      document.head.append(tag);
    });
  }

  function load() {
    if (!scripts) {
      const styles = document.createElement("link");
      styles.rel = "stylesheet";
      styles.href = new URL("widget.css", base);
      document.head.append(styles);
      scripts = script("lstm.js").then(() => script("widget.js"));
    }
    if (!weights) {
      weights = fetch(new URL("weights.json", base)).then((response) => {
        if (!response.ok) throw new Error(`weights.json: HTTP ${response.status}`);
        return response.text();  // parsed once widget.js has loaded: NextLetterWidget.parse
      });
      weights.catch(() => { weights = null; });  // the next page with a widget tries again
    }
    return Promise.all([weights, scripts]).then(([text]) => NextLetterWidget.parse(text));
  }

  function start(root) {
    load()
      .then((asset) => NextLetterWidget.mount(root, asset))
      .catch((error) => {  // a model that did not arrive, or a weights.json that is not one
        root.classList.add("next-letter--error");
        root.querySelector(".next-letter__status").textContent = `The model did not load: ${error.message}`;
      });
  }

  function watch() {
    if (observer) observer.disconnect();  // the widgets of the previous page are gone
    observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        start(entry.target);
      }
    });
    document.querySelectorAll("[data-next-letter]").forEach((root) => observer.observe(root));
  }

  if (typeof document$ !== "undefined") document$.subscribe(watch);
  else watch();
})();
