// The pages' scripts speak the page's language: ccc.t("English text {name}", {name: v})
// looks the text up in the translations the server put in the page (a JSON block,
// id "ui-strings", which the CSP allows: it is data, never run), then fills the
// {name} places. The texts are extracted from these scripts like the templates' own.
window.ccc = window.ccc || {};
(function () {
  "use strict";
  let strings = null;

  window.ccc.t = function (text, params) {
    if (strings === null) {
      const block = document.getElementById("ui-strings");
      strings = block ? JSON.parse(block.textContent) : {};
    }
    const translated = Object.prototype.hasOwnProperty.call(strings, text) ? strings[text] : text;
    return translated.replace(/\{(\w+)\}/g, (place, name) =>
      params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : place);
  };
})();
