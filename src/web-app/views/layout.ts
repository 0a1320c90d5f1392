// The page frame: landmarks (header, nav, main, footer), a skip link, who is
// signed in, and the notice of the last completed action.
import { html, type Markup } from '../html';
import { csrfField, type PageContext } from './components';

export type Section = 'pricing' | 'dashboard' | 'sign-in';

export function layout(ctx: PageContext, current: Section, title: string, body: Markup): Markup {
  const link = (section: Section, href: string, text: string) =>
    html`<li><a href="${href}"${section === current ? html` aria-current="page"` : ''}>${text}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Billing</title>
<link rel="stylesheet" href="/app/assets/app.css">
<script src="/app/assets/countdown.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <nav aria-label="Billing">
    <ul>
      ${link('pricing', '/app', 'Pricing')}
      ${ctx.workspaceId && link('dashboard', '/app/dashboard', 'Billing dashboard')}
    </ul>
  </nav>
  <div class="who">
    ${
      ctx.workspaceId
        ? html`<span>Workspace <strong data-testid="signed-in-workspace">${ctx.workspaceId}</strong></span>
          <form class="inline" method="post" action="/app/sign-out">${csrfField(ctx)}<button class="secondary" type="submit">Sign out</button></form>`
        : ctx.devSignIn
          ? html`<span>Visitor</span> <a class="button secondary" href="/app/sign-in">Sign in (development)</a>`
          : html`<span>Visitor</span>`
    }
  </div>
</header>
<main id="main" tabindex="-1">
${ctx.notice && html`<p class="alert ok" role="status">${ctx.notice}</p>`}
${body}
</main>
<footer class="site">Amounts in US dollars. Billing by the subscription lifecycle engine; payments on Stripe's hosted pages.</footer>
</body>
</html>`;
}
