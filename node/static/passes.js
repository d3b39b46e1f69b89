// Network pass: print button, and at the front desk the camera where the browser has
// BarcodeDetector (progressive: the text field always works). No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // A pass left open on a phone renews itself: the page is loaded again once the pass is
  // due for renewal (the server signs a new one then), checked every ten minutes.
  var card = document.querySelector("[data-pass-renew-at]");
  if (card) {
    var renewAt = parseInt(card.getAttribute("data-pass-renew-at"), 10) * 1000;
    window.setInterval(function () {
      if (Date.now() >= renewAt && navigator.onLine !== false) { window.location.reload(); }
    }, 600000);
  }
  var form = document.querySelector("[data-pass-scan]");
  if (!form) { return; }
  var field = form.querySelector("textarea[name=code]");
  if (field) { field.focus(); }
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var box = form.querySelector("[data-camera]");
  var video = form.querySelector("[data-video]");
  var start = form.querySelector("[data-start-camera]");
  box.hidden = false;
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      start.hidden = true;
      var scan = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            field.value = codes[0].rawValue;
            form.submit();
          } else {
            window.requestAnimationFrame(scan);
          }
        }).catch(function () { window.requestAnimationFrame(scan); });
      };
      scan();
    }).catch(function () { box.hidden = true; });
  });
})();
