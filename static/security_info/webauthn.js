// Passkeys: registers one, or signs in / re-verifies with one, for every [data-passkey] block.
// The server sends WebAuthn options as JSON (binary fields in base64url) and answers with
// {"location": ...} to go to next, or {"error": ...} to show (a limit answers {"message": ...}
// as well). See security_info/passkeys/views.py.
"use strict";

(() => {
  // The server refused: its message is for the person, its location (if any) where to go.
  class ServerError extends Error {
    constructor(answer) {
      super(answer.message || answer.error);
      this.location = answer.location;
    }
  }

  const supported = () => Boolean(window.PublicKeyCredential && window.isSecureContext);

  const toBytes = (base64url) => {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  };

  const toBase64url = (buffer) => {
    const binary = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const withIds = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  // Browsers from 2024 on parse the JSON options themselves; older ones need the binary decoded.
  const creationOptions = (json) => {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return {
      ...json,
      challenge: toBytes(json.challenge),
      user: { ...json.user, id: toBytes(json.user.id) },
      excludeCredentials: withIds(json.excludeCredentials),
    };
  };

  const requestOptions = (json) => {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return { ...json, challenge: toBytes(json.challenge), allowCredentials: withIds(json.allowCredentials) };
  };

  const credentialJSON = (credential) => {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const response = credential.response;
    const encoded = { clientDataJSON: toBase64url(response.clientDataJSON) };
    if (response.attestationObject) {
      encoded.attestationObject = toBase64url(response.attestationObject);
    } else {
      encoded.authenticatorData = toBase64url(response.authenticatorData);
      encoded.signature = toBase64url(response.signature);
      if (response.userHandle) encoded.userHandle = toBase64url(response.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: encoded,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  };

  const setup = (block) => {
    const button = block.querySelector("[data-passkey-start]");
    const status = block.querySelector("[data-passkey-status]");
    const csrfToken = block.querySelector("[name=csrfmiddlewaretoken]").value;
    const register = block.dataset.passkey === "register";

    if (!supported()) return; // the notice stays, the button stays hidden
    block.querySelector("[data-passkey-unsupported]").hidden = true;
    block.querySelector("[data-passkey-actions]").hidden = false;

    const show = (message, isError) => {
      status.replaceChildren();
      if (!message) return;
      const line = document.createElement("p");
      line.className = isError ? "message message--error" : "message";
      line.textContent = message;
      if (isError) line.setAttribute("role", "alert");
      status.append(line);
    };

    // Returns the parsed answer, or null after sending the browser somewhere else: a
    // redirect means "re-verify first", and reloading the page takes the person there.
    const post = async (url, body) => {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(body || {}),
      });
      if (response.type === "opaqueredirect") {
        window.location.reload();
        return null;
      }
      const answer = await response.json();
      if (answer.location && !answer.error) {
        window.location.assign(answer.location);
        return null;
      }
      return answer;
    };

    const ceremony = async () => {
      const options = await post(block.dataset.optionsUrl);
      if (!options) return;
      if (options.error) throw new ServerError(options);
      show(block.dataset.msgWorking, false);
      const credential = register
        ? await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) })
        : await navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
      const answer = await post(block.dataset.completeUrl, {
        credential: credentialJSON(credential),
        next: block.dataset.next || undefined,
      });
      if (answer && answer.error) throw new ServerError(answer);
    };

    button.addEventListener("click", async () => {
      button.disabled = true;
      show("", false);
      try {
        await ceremony();
      } catch (error) {
        if (error instanceof ServerError) {
          show(error.message, true);
          if (error.location) window.setTimeout(() => window.location.assign(error.location), 3000);
        } else if (error && error.name === "InvalidStateError") {
          show(block.dataset.msgExists, true);
        } else if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
          show(block.dataset.msgCancelled, true);
        } else if (error && error.name === "SecurityError") {
          show(block.dataset.msgAddress, true); // e.g. an IP address, which cannot be an RP id
        } else {
          show(block.dataset.msgFailed, true);
        }
      } finally {
        button.disabled = false;
      }
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-passkey]").forEach(setup);
  });
})();
