// response_mode=form_post: send the authorization response to the
// application at once. Without JavaScript the page shows a Continue button.
(function () {
  var form = document.getElementById("form-post");
  if (form) form.submit();
})();
