// Progressive enhancement for the template editor: preview as the admin
// types. Without JavaScript the Preview button posts the form and the page
// comes back with the same preview.
(function () {
  var form = document.getElementById("template-form");
  var preview = document.getElementById("template-preview");
  if (!form || !preview || !window.fetch) return;
  var source = form.querySelector("textarea[name=source]");
  var timer = null;
  function refresh() {
    var body = new URLSearchParams();
    ["csrf", "channel", "source", "user"].forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field) body.append(name, field.value);
    });
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) { if (html !== null) preview.innerHTML = html; })
      .catch(function () {});
  }
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
