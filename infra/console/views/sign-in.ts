import type { LocalUserView } from '../auth.ts';
import type { ConsoleConfig } from '../config.ts';
import { h } from '../dom.ts';
import type { LabelKey, Language } from '../i18n.ts';

export interface SignInContext {
  readonly language: Language;
  readonly t: (key: LabelKey, values?: Readonly<Record<string, string | number>>) => string;
  readonly config: ConsoleConfig;
  /** The local stack's users; empty in AWS. */
  readonly users: readonly LocalUserView[];
  readonly message: string | null;
  signInLocal(username: string): void;
  signInCognito(): void;
}

/** Locally: one button per local user. In AWS: one button to the hosted login. */
export function signInView(ctx: SignInContext): HTMLElement {
  const section = h('section', { id: 'sign-in', class: 'panel narrow' }, h('h2', {}, ctx.t('signIn.title')));
  if (ctx.message !== null) section.append(h('p', { class: 'error', attrs: { role: 'alert' } }, ctx.message));
  if (ctx.config.signIn === 'cognito') {
    section.append(h('p', {}, ctx.t('signIn.cognitoHint')), h('button', { on: { click: () => ctx.signInCognito() } }, ctx.t('signIn.button')));
    return section;
  }
  section.append(
    h('p', { class: 'muted' }, ctx.t('signIn.localHint')),
    h(
      'ul',
      { class: 'users' },
      ...ctx.users.map((user) =>
        h(
          'li',
          {},
          h(
            'button',
            { dataset: { user: user.username }, on: { click: () => ctx.signInLocal(user.username) } },
            h('strong', {}, user.name[ctx.language]),
            ' ',
            h('code', {}, user.username),
            h('span', { class: 'muted' }, ` ${ctx.t(`role.${user.scope.toUpperCase()}` as LabelKey)} · ${user.lenderId ?? ctx.t('user.platform')}`),
          ),
        ),
      ),
    ),
  );
  return section;
}
