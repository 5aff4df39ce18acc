// Progressive enhancement for the code page: count the resend cooldown
// down. Without JavaScript the page shows the seconds left and the server
// refuses an early resend with a message.
(function () {
  var counter = document.querySelector("[data-countdown]");
  var button = document.querySelector("button[data-cooldown]");
  if (!counter || !button) return;
  var left = parseInt(counter.getAttribute("data-countdown"), 10) || 0;
  if (left <= 0) return;
  button.disabled = true;
  var timer = setInterval(function () {
    left -= 1;
    counter.textContent = String(left);
    if (left <= 0) {
      clearInterval(timer);
      button.disabled = false;
      var line = document.getElementById("cooldown");
      if (line) line.hidden = true;
    }
  }, 1000);
})();
