// The development sign-in: choose the workspace to act as. Only served when
// WEB_APP_DEV_SIGN_IN is on; a product uses its own sign-in instead.
import { html, type Markup } from '../html';
import { csrfField, field, formErrorBox, formErrorFor, type FormError, type PageContext } from './components';
import { layout } from './layout';

export function signInPage(ctx: PageContext, error?: FormError): Markup {
  const e = formErrorFor(error, 'sign-in');
  return layout(
    ctx,
    'sign-in',
    'Sign in',
    html`<h1>Sign in (development)</h1>
    <section class="panel" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Choose a workspace</h2>
      <p class="hint">Development only: anyone can act as any workspace here. A product signs its users in itself and tells the app their workspace.</p>
      ${formErrorBox(e)}
      <form method="post" action="/app/sign-in" novalidate>
        ${csrfField(ctx)}
        ${field({ form: 'sign-in', name: 'workspaceId', label: 'Workspace id', required: true, autocomplete: 'off', hint: 'Letters, digits, "_" or "-"; a new id is an Essential workspace.', error: e })}
        <button type="submit">Sign in</button>
      </form>
    </section>`,
  );
}
