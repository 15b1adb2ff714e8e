// The statewright extension: starts `statewright lsp` over stdio for `.wf` files.
// Highlighting comes from the TextMate grammar in syntaxes/; everything else
// (findings, hover, navigation, rename, formatting, completion, quick fixes)
// comes from the language server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** Start the language server with the configured command (default: `statewright lsp`). */
function activate(context) {
  const configured = vscode.workspace.getConfiguration("statewright").get("server.command");
  const [command, ...args] =
    Array.isArray(configured) && configured.length > 0 ? configured : ["statewright", "lsp"];
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "statewright" }, { scheme: "untitled", language: "statewright" }],
  };
  client = new LanguageClient("statewright", "statewright", serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

/** Stop the language server when the extension is deactivated. */
function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
