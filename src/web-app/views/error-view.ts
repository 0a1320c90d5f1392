// A page for what went wrong outside any form (an expired form, the engine unreachable).
import { html, type Markup } from '../html';
import type { PageContext } from './components';
import { layout } from './layout';

export function errorPage(ctx: PageContext, title: string, message: string): Markup {
  return layout(
    ctx,
    'pricing',
    title,
    html`<h1>${title}</h1>
    <div class="alert bad" role="alert"><p>${message}</p></div>
    <p><a href="/app">Back to pricing</a></p>`,
  );
}
