// The dashboard's HTML shell (pure, no `vscode`): strict CSP, one nonce'd script, one stylesheet.

export interface HtmlParts {
  /** webview.cspSource */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** Crypto-random, base64. */
  readonly nonce: string;
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function dashboardCsp(p: Pick<HtmlParts, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    `style-src ${p.cspSource}`,
    `font-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
  ].join('; ');
}

export function dashboardHtml(p: HtmlParts): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(p.nonce)) throw new Error('dashboardHtml: nonce must be base64 of >= 12 random bytes');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(dashboardCsp(p))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>LossWatch dashboard</title>
</head>
<body>
<div id="app" aria-live="off"></div>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
