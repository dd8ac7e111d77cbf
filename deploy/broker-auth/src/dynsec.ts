import { z } from 'zod';

/**
 * Mosquitto's dynamic security plugin (mosquitto 2.0, plugins/dynamic-security): its
 * configuration file, the state its `$CONTROL/dynamic-security/v1` API lists, and the
 * commands that turn one into another. Only authorisation lives here: clients carry no
 * password (the broker's password_file authenticates, see broker-files.ts), so the plugin
 * defers authentication for them and neither this file nor any command holds a secret.
 */

export const ACL_TYPES = [
  'publishClientSend',
  'publishClientReceive',
  'subscribeLiteral',
  'subscribePattern',
  'unsubscribeLiteral',
  'unsubscribePattern',
] as const;

export const DynsecAclSchema = z.object({
  acltype: z.enum(ACL_TYPES),
  topic: z.string().min(1),
  allow: z.boolean(),
  priority: z.number().int().default(0),
});
export type DynsecAcl = z.infer<typeof DynsecAclSchema>;

const RoleRefSchema = z.object({ rolename: z.string(), priority: z.number().int().optional() });
const GroupRefSchema = z.object({ groupname: z.string(), priority: z.number().int().optional() });

export const DynsecRoleSchema = z.object({ rolename: z.string().min(1), textname: z.string().optional(), acls: z.array(DynsecAclSchema).default([]) });
export type DynsecRole = z.infer<typeof DynsecRoleSchema>;

export const DynsecClientSchema = z.object({
  username: z.string().min(1),
  textname: z.string().optional(),
  disabled: z.boolean().optional(),
  roles: z.array(RoleRefSchema).default([]),
  groups: z.array(GroupRefSchema).default([]),
});
export type DynsecClient = z.infer<typeof DynsecClientSchema>;

export const DynsecGroupSchema = z.object({ groupname: z.string().min(1) });

export const DefaultAclAccessSchema = z.object({
  publishClientSend: z.boolean(),
  publishClientReceive: z.boolean(),
  subscribe: z.boolean(),
  unsubscribe: z.boolean(),
});
export type DefaultAclAccess = z.infer<typeof DefaultAclAccessSchema>;

/** What the plugin holds: the file's content, or what the listing commands return. */
export interface DynsecState {
  defaultACLAccess: DefaultAclAccess;
  roles: DynsecRole[];
  clients: DynsecClient[];
  groups: { groupname: string }[];
}

/**
 * Nothing is allowed that a role does not grant. The plugin's own default lets every client
 * receive every message it subscribed to; here a client must also hold a publishClientReceive
 * grant, so a subscription that slipped through still delivers nothing.
 */
export const DEFAULT_ACL_ACCESS: DefaultAclAccess = { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true };

/** The dynsec control topic; the plugin answers every subscriber of `${CONTROL_TOPIC}/response`. */
export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';

/** The file the plugin loads at start (`plugin_opt_config_file`), as JSON text. */
export function renderDynsecFile(state: DynsecState): string {
  return `${JSON.stringify(
    {
      defaultACLAccess: state.defaultACLAccess,
      clients: state.clients.map((c) => ({ username: c.username, ...(c.textname ? { textname: c.textname } : {}), roles: c.roles })),
      groups: state.groups.map((g) => ({ groupname: g.groupname })),
      roles: state.roles.map((r) => ({ rolename: r.rolename, ...(r.textname ? { textname: r.textname } : {}), acls: r.acls })),
    },
    null,
    2,
  )}\n`;
}

export type DynsecCommand = { command: string } & Record<string, unknown>;

const aclKey = (a: DynsecAcl) => `${a.acltype}\u0000${a.topic}\u0000${a.allow}\u0000${a.priority}`;
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\u0001') === [...b].sort().join('\u0001');

/**
 * The commands that make the plugin's `current` state equal to `desired`, in an order the
 * plugin accepts: roles exist before clients name them, and are deleted only after the
 * clients that used them. Everything in the plugin is broker-auth's: clients, roles and
 * groups that the registry does not produce are deleted (deleting or modifying a client
 * also disconnects its connections, which is what makes a revocation take effect at once).
 */
export function planDynsecCommands(current: DynsecState, desired: DynsecState): DynsecCommand[] {
  const out: DynsecCommand[] = [];
  const d = desired.defaultACLAccess;
  const c = current.defaultACLAccess;
  if (
    d.publishClientSend !== c.publishClientSend ||
    d.publishClientReceive !== c.publishClientReceive ||
    d.subscribe !== c.subscribe ||
    d.unsubscribe !== c.unsubscribe
  )
    out.push({
      command: 'setDefaultACLAccess',
      acls: [
        { acltype: 'publishClientSend', allow: d.publishClientSend },
        { acltype: 'publishClientReceive', allow: d.publishClientReceive },
        { acltype: 'subscribe', allow: d.subscribe },
        { acltype: 'unsubscribe', allow: d.unsubscribe },
      ],
    });

  const roles = new Map(current.roles.map((r) => [r.rolename, r]));
  for (const r of desired.roles) {
    const now = roles.get(r.rolename);
    if (!now) out.push({ command: 'createRole', rolename: r.rolename, ...(r.textname ? { textname: r.textname } : {}), acls: r.acls });
    else if (!sameSet(now.acls.map(aclKey), r.acls.map(aclKey))) out.push({ command: 'modifyRole', rolename: r.rolename, acls: r.acls });
  }

  const clients = new Map(current.clients.map((x) => [x.username, x]));
  const wanted = new Set(desired.clients.map((x) => x.username));
  for (const x of desired.clients) {
    const roleRefs = x.roles.map((r) => ({ rolename: r.rolename }));
    const now = clients.get(x.username);
    if (!now) {
      out.push({ command: 'createClient', username: x.username, ...(x.textname ? { textname: x.textname } : {}), roles: roleRefs });
      continue;
    }
    const rolesDiffer = !sameSet(
      now.roles.map((r) => r.rolename),
      x.roles.map((r) => r.rolename),
    );
    if (rolesDiffer || now.groups.length > 0) out.push({ command: 'modifyClient', username: x.username, roles: roleRefs, groups: [] });
    if (now.disabled) out.push({ command: 'enableClient', username: x.username });
  }
  for (const x of current.clients) if (!wanted.has(x.username)) out.push({ command: 'deleteClient', username: x.username });

  const keepGroups = new Set(desired.groups.map((g) => g.groupname));
  for (const g of current.groups) if (!keepGroups.has(g.groupname)) out.push({ command: 'deleteGroup', groupname: g.groupname });
  const keepRoles = new Set(desired.roles.map((r) => r.rolename));
  for (const r of current.roles) if (!keepRoles.has(r.rolename)) out.push({ command: 'deleteRole', rolename: r.rolename });
  return out;
}
