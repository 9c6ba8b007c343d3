import type { PrincipalRole } from '../../shared/domain/access.ts';

/**
 * The people of the local stack: what the Cognito user pool's users, groups and `lender_id`
 * attribute are in AWS (docs/console.md). Each user has one scope (its group) and, when it works
 * for one lender, that lender. The console's sign-in page lists them, and `npm run token -- --user
 * NAME` mints a token for one of them. The lenders are the demo story's (scenarios/demo.json).
 */
export interface LocalUser {
  /** The sign-in name: the `username` claim of the user's tokens. */
  readonly username: string;
  readonly name: { readonly zh: string; readonly en: string };
  /** The user's one scope, `colend/<scope>` in its tokens (a local issuer scope). */
  readonly scope: Lowercase<PrincipalRole>;
  /** The lender the user works for; its tokens carry it as `lender_id`, and see only its data. */
  readonly lenderId?: string;
}

export const LOCAL_USERS: readonly LocalUser[] = [
  // Two people of the platform's finance team: one proposes, the other approves (maker-checker).
  { username: 'fin.wang', name: { zh: '王芳', en: 'Wang Fang' }, scope: 'finance' },
  { username: 'fin.li', name: { zh: '李娜', en: 'Li Na' }, scope: 'finance' },
  { username: 'ops.zhao', name: { zh: '赵强', en: 'Zhao Qiang' }, scope: 'lead' },
  // The finance team of each partner bank of the demo story: its own lender's data only.
  { username: 'jn.chen', name: { zh: '陈静', en: 'Chen Jing' }, scope: 'finance', lenderId: 'JN_RCB' },
  { username: 'ls.zhou', name: { zh: '周磊', en: 'Zhou Lei' }, scope: 'finance', lenderId: 'LS_IB' },
  { username: 'hx.sun', name: { zh: '孙悦', en: 'Sun Yue' }, scope: 'finance', lenderId: 'HX_CB' },
];

/** A user name as the pool takes it: letters, digits and `._@-`, 1 to 128 characters. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

export function localUser(username: string): LocalUser | undefined {
  return LOCAL_USERS.find((user) => user.username === username);
}
