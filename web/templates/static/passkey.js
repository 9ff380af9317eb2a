// tkt: passkeys. A form with data-passkey="create" or "get" runs the
// WebAuthn ceremony whose options (JSON from the server) it carries in
// data-options, puts the browser's answer in its "credential" field and
// submits itself. No other script runs on the portal's pages.
"use strict";
document.querySelectorAll("form[data-passkey]").forEach(function (form) {
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const err = form.querySelector(".passkey-error");
    try {
      const opts = JSON.parse(form.dataset.options).publicKey;
      const cred = form.dataset.passkey === "create"
        ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(opts) })
        : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts) });
      form.querySelector("input[name=credential]").value = JSON.stringify(cred.toJSON());
      form.submit();
    } catch (e) {
      if (err) {
        err.textContent = "The passkey did not work (" + e.name + "). Try again, or use another way.";
        err.hidden = false;
      }
    }
  });
});
