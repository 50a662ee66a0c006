/** A user of the CRM as crm-connect needs to know them. */
export interface CrmUser {
  /** The CRM's own id for the user (Zendesk user id, Salesforce 005… id, Dataverse systemuserid, Kustomer user id). */
  id: string;
  /** The user's email address as the CRM stores it, lowercased. */
  email?: string | undefined;
  /** A display name for logs and admin screens. */
  name?: string | undefined;
  /** False for users the CRM has deactivated or suspended; they are never chosen as owner or performer. */
  active: boolean;
  /** The CRM's role name for the user (`admin`, `agent`, `application`, `machine`), informational. */
  role?: string | undefined;
}
