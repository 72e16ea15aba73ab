/* serve_static.c -- /static/app.js and /static/app.css, compiled in: the
 * pages need nothing from the internet.
 *
 * app.js keeps the token the user pastes in sessionStorage (gone with the
 * tab; never a cookie, so no request carries it unless the script adds
 * it), turns buttons and the run form into POSTs with
 * "Authorization: Bearer", shows the server's answer, and reloads pages
 * marked live every two seconds while a run goes. */
#include "serve_static.h"

#include <string.h>

static const char app_js[] =
    "'use strict';\n"
    "(function () {\n"
    "  var field = document.getElementById('token');\n"
    "  var message = document.getElementById('message');\n"
    "  if (field) {\n"
    "    field.value = sessionStorage.getItem('martlet-token') || '';\n"
    "    field.addEventListener('input', function () { sessionStorage.setItem('martlet-token', field.value); });\n"
    "  }\n"
    "  function say(text, ok) {\n"
    "    if (!message) return;\n"
    "    message.textContent = text;\n"
    "    message.className = ok ? 'ok' : 'refused';\n"
    "  }\n"
    "  function post(url, body, then) {\n"
    "    var token = field ? field.value.trim() : '';\n"
    "    window.martletBusy = true;\n"
    "    fetch(url, {method: 'POST', credentials: 'omit', body: body,\n"
    "                headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token}})\n"
    "      .then(function (answer) {\n"
    "        return answer.json().then(function (json) { return {ok: answer.ok, status: answer.status, json: json}; });\n"
    "      })\n"
    "      .then(function (answer) {\n"
    "        window.martletBusy = false;\n"
    "        if (!answer.ok) { say('refused (' + answer.status + '): ' + (answer.json.error || ''), false); return; }\n"
    "        say('accepted: ' + (answer.json.status || 'done'), true);\n"
    "        setTimeout(function () { if (then) location.href = then; else location.reload(); }, 700);\n"
    "      })\n"
    "      .catch(function (error) { window.martletBusy = false; say('failed: ' + error, false); });\n"
    "  }\n"
    "  document.querySelectorAll('button.action').forEach(function (button) {\n"
    "    button.addEventListener('click', function () {\n"
    "      post(button.dataset.url, button.dataset.body || '{}', button.dataset.then);\n"
    "    });\n"
    "  });\n"
    "  var form = document.getElementById('run-form');\n"
    "  if (form) {\n"
    "    form.addEventListener('submit', function (event) {\n"
    "      event.preventDefault();\n"
    "      post(form.dataset.url, JSON.stringify({from: form.elements.from.value, to: form.elements.to.value}), '');\n"
    "    });\n"
    "  }\n"
    "  if (document.body.dataset.live === '1') {\n"
    "    setInterval(function () {\n"
    "      var typing = document.activeElement && document.activeElement.tagName === 'INPUT';\n"
    "      if (!window.martletBusy && !typing) location.reload();\n"
    "    }, 2000);\n"
    "  }\n"
    "})();\n";

static const char app_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\n"
    "header{display:flex;gap:1.2em;align-items:center;padding:.6em 1.2em;background:#1d2330}\n"
    "header a{color:#dfe6f3;text-decoration:none}header a.brand{font-weight:700;color:#fff}\n"
    "header .token{margin-left:auto;color:#aab3c3;font-size:12px}header input{width:16em}\n"
    "main{padding:1em 1.4em}h1{font-size:20px;margin:.2em 0 .6em}h2{font-size:16px;margin:1.2em 0 .4em}\n"
    "table{border-collapse:collapse;background:#fff}th,td{border:1px solid #dde1e8;padding:3px 7px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#eef1f5;font-weight:600}td.number{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".scroll{overflow:auto;max-width:100%}\n"
    "table.grid th.task{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:400;font-size:12px;"
    "white-space:nowrap}\n"
    "table.grid td.cell{text-align:center;padding:0;width:1.6em}td.cell a{display:block;color:inherit;"
    "text-decoration:none}\n"
    ".cell,.badge{color:#fff;border-radius:3px}.badge{padding:0 6px;font-size:12px}\n"
    ".legend .cell{display:inline-block;width:1.4em;text-align:center}\n"
    ".s-success{background:#2e9d4f}.s-failed{background:#d0312d}.s-upstream_failed{background:#e8912d}\n"
    ".s-running{background:#2c8fc9}.s-queued{background:#8d99ab}.s-skipped{background:#b7bfcc}\n"
    ".s-interrupted{background:#9b4dca}.s-stopped{background:#6d6d6d}.s-none{background:#fff;color:#8d99ab}\n"
    "pre{background:#fff;border:1px solid #dde1e8;padding:.6em;overflow:auto;max-height:40em;white-space:pre-wrap}\n"
    "pre.error,.error{color:#a01d1a}#message.ok{color:#1f7a3b}#message.refused{color:#a01d1a;font-weight:600}\n"
    "dl.task{display:grid;grid-template-columns:max-content auto;gap:2px 1em}dt{color:#5b6577}dd{margin:0}\n"
    "svg.dag{background:#fff;border:1px solid #dde1e8}svg.dag text{font-size:12px;fill:#fff}"
    "svg.dag .s-none+text{fill:#1d2330}svg.dag rect.s-none{fill:#fff;stroke:#8d99ab}\n"
    "svg.dag line.edge{stroke:#8d99ab;stroke-width:1.5}"
    "svg.dag rect.s-success{fill:#2e9d4f}svg.dag rect.s-failed{fill:#d0312d}svg.dag rect.s-upstream_failed{fill:#e8912d}"
    "svg.dag rect.s-running{fill:#2c8fc9}svg.dag rect.s-queued{fill:#8d99ab}svg.dag rect.s-skipped{fill:#b7bfcc}"
    "svg.dag rect.s-interrupted{fill:#9b4dca}\n"
    "button{padding:3px 10px;cursor:pointer}form{margin:.4em 0 .8em}img.chart{max-width:100%;background:#fff}\n";

/* Fills the answer with a static file; false when there is no such file. */
bool serve_static_file(const char *name, struct serve_response *response) {
    const char *text = NULL, *type = NULL;
    if (strcmp(name, "app.js") == 0) text = app_js, type = "text/javascript; charset=utf-8";
    else if (strcmp(name, "app.css") == 0) text = app_css, type = "text/css; charset=utf-8";
    if (text == NULL) return false;
    response->status = 200;
    response->content_type = type;
    strbuf_append_string(&response->body, text);
    return true;
}
