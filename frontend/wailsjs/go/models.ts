export namespace alert {
	
	export interface Alert {
	    directory: string;
	    directoryId: string;
	    status: string;
	    code?: string;
	    message: string;
	    action?: string;
	    runId?: string;
	    reportPath?: string;
	    at: string;
	    host?: string;
	    delivered: string[];
	    errors?: string[];
	}

}

export namespace app {
	
	export interface AboutInfo {
	    name: string;
	    version: string;
	    platform: string;
	    dataDir: string;
	    demo: boolean;
	}
	export interface ErrorPayload {
	    code: apperr.Code;
	    message: string;
	    action?: string;
	}
	export interface Applied {
	    directoryId: string;
	    run?: backend.RunSummary;
	    error?: ErrorPayload;
	}
	export interface ApplyResult {
	    started: boolean;
	    run?: backend.RunSummary;
	}
	export interface Comparison {
	    diff?: report.ReportDiff;
	    truncated: boolean;
	}
	export interface DemoConnection {
	    demo: boolean;
	    clientId?: string;
	    scimBaseUrl?: string;
	    scimApiKey?: string;
	    orgId?: string;
	    orgApiKey?: string;
	    conflictGroups?: string[];
	}
	export interface Done {
	    ok: boolean;
	}
	
	export interface Events {
	    "sync:progress": backend.Progress;
	    "sync:done": backend.RunSummary;
	    "sync:applied": Applied;
	    "auth:devicecode": backend.DeviceCode;
	    "sync:schedule": backend.ScheduleNotice;
	}
	export interface ExportRequest {
	    format: string;
	    gzip: boolean;
	    pseudonymize: boolean;
	    keepDomains: boolean;
	}
	export interface ExportResult {
	    files: string[];
	}
	export interface HistoryRow {
	    run: backend.RunSummary;
	    directoryName: string;
	}
	export interface PingReply {
	    echo: string;
	    receivedAt: string;
	}
	export interface Problem {
	    runId: string;
	    started: string;
	    kind: string;
	    code: string;
	    message: string;
	    object?: report.ObjectRef;
	    group?: report.ObjectRef;
	    action?: report.Action;
	}
	export interface ReportHandle {
	    id: string;
	    path: string;
	    name: string;
	    summary: report.Summary;
	}

}

export namespace apperr {
	
	export enum Code {
	    Internal = "internal",
	    InvalidInput = "invalid_input",
	    NotFound = "not_found",
	    DirectoryDuplicate = "directory_duplicate",
	    Canceled = "canceled",
	    KeychainUnavailable = "keychain_unavailable",
	    KeychainTimeout = "keychain_timeout",
	    SecretMissing = "secret_missing",
	    AuthRequired = "auth_required",
	    AuthCanceled = "auth_canceled",
	    AuthConsentRequired = "auth_consent_required",
	    AuthScopeDeclined = "auth_scope_declined",
	    AuthFailed = "auth_failed",
	    TenantMismatch = "tenant_mismatch",
	    GraphPermission = "graph_permission",
	    GraphThrottled = "graph_throttled",
	    GraphUnavailable = "graph_unavailable",
	    GraphBadResponse = "graph_bad_response",
	    GraphDeltaExpired = "graph_delta_expired",
	    AtlassianUnauthorized = "atlassian_unauthorized",
	    AtlassianForbidden = "atlassian_forbidden",
	    AtlassianNotFound = "atlassian_not_found",
	    AtlassianConflict = "atlassian_conflict",
	    AtlassianThrottled = "atlassian_throttled",
	    AtlassianUnavailable = "atlassian_unavailable",
	    AtlassianBadResponse = "atlassian_bad_response",
	    AtlassianRejected = "atlassian_rejected",
	    InsecureUrl = "insecure_url",
	    SyncLocked = "sync_locked",
	    ConfirmationRequired = "confirmation_required",
	    ThresholdExceeded = "threshold_exceeded",
	    RemovalThresholdExceeded = "removal_threshold_exceeded",
	    ReadShrank = "read_shrank",
	    PlanLimitExceeded = "plan_limit_exceeded",
	    SuspendUnavailable = "suspend_unavailable",
	    ConflictUnresolved = "conflict_unresolved",
	    StoreCorrupt = "store_corrupt",
	    ReportInvalid = "report_invalid",
	    ReportTooLarge = "report_too_large",
	    ReportUnsupportedVersion = "report_unsupported_version",
	}

}

export namespace atlassian {
	
	export interface OrgDomain {
	    id?: string;
	    name: string;
	    claimType: string;
	    status: string;
	}
	export interface Part {
	    ok: boolean;
	    skipped?: boolean;
	    code?: apperr.Code;
	    message: string;
	    action?: string;
	}
	export interface ConnectionReport {
	    scimUrl: Part;
	    scimKey: Part;
	    orgKey: Part;
	    orgFound: Part;
	    userCount: number;
	    domains?: OrgDomain[];
	}
	

}

export namespace backend {
	
	export enum DirStatus {
	    Syncing = "syncing",
	    Previewing = "previewing",
	    NotSignedIn = "not_signed_in",
	    KeyExpired = "key_expired",
	    Blocked = "blocked",
	    Cancelled = "cancelled",
	    Enabled = "enabled",
	    Disabled = "disabled",
	}
	export interface Account {
	    username: string;
	    name: string;
	    tenantId: string;
	    objectId: string;
	}
	export interface Confirmation {
	    tenantId: string;
	    domains: string[];
	    planDigest: string;
	    overrideThreshold: boolean;
	    overrideRemovalThreshold: boolean;
	    overrideReadShrink: boolean;
	}
	export interface ConfirmedSet {
	    tenantId: string;
	    domains: string[];
	    at: string;
	}
	export interface Conflict {
	    groupEntraId: string;
	    displayName: string;
	    atlassianId: string;
	    decision: string;
	    scope?: string;
	    defaultAccess?: boolean;
	    canTakeOver?: boolean;
	    hint?: string;
	    wouldAdd: string[];
	    wouldRemove: string[];
	    addCount: number;
	    removeCount: number;
	}
	export interface DeviceCode {
	    directoryId: string;
	    userCode: string;
	    url: string;
	    message: string;
	}
	export interface RunSummary {
	    runId: string;
	    directoryId: string;
	    kind: string;
	    status: string;
	    started: string;
	    ended?: string;
	    durationMillis: number;
	    full: boolean;
	    automatic: boolean;
	    counts: report.Count[];
	    done: number;
	    failed: number;
	    notDone: number;
	    errorCode?: string;
	    errorMessage?: string;
	    reportPath?: string;
	}
	export interface Directory {
	    id: string;
	    name: string;
	    cloud: string;
	    clientId: string;
	    tenantId?: string;
	    tenantName?: string;
	    scimBaseUrl: string;
	    orgId?: string;
	    allowCustomHost: boolean;
	    hasScimKey: boolean;
	    hasOrgKey: boolean;
	    scimKeyCreated?: string;
	    keyExpiresInDays?: number;
	    account?: string;
	    status: DirStatus;
	    statusReason?: string;
	    lastRun?: RunSummary;
	    nextSync?: string;
	    syncedUsers: number;
	    syncedGroups: number;
	    syncedDomains: number;
	    created: string;
	    demo?: boolean;
	    graphUrl?: string;
	    authorityUrl?: string;
	    orgUrl?: string;
	    signInTenant?: string;
	    lastAlert?: alert.Alert;
	    warnings?: string[];
	}
	export interface DirectoryInput {
	    name: string;
	    cloud: string;
	    clientId: string;
	    scimBaseUrl: string;
	    scimApiKey?: string;
	    scimKeyCreated?: string;
	    orgId?: string;
	    orgApiKey?: string;
	    allowCustomHost: boolean;
	    graphUrl?: string;
	    authorityUrl?: string;
	    orgUrl?: string;
	    signInTenant?: string;
	    saveUntested?: boolean;
	}
	export interface DomainRow {
	    name: string;
	    verifiedInEntra: boolean;
	    isDefault: boolean;
	    isInitial: boolean;
	    atlassianStatus: string;
	    selectable: boolean;
	    selected: boolean;
	}
	export interface ErrorDTO {
	    code: string;
	    message: string;
	    action?: string;
	}
	export interface GroupNode {
	    id: string;
	    displayName: string;
	    subgroups: number;
	    users: number;
	    selected: boolean;
	    implied: boolean;
	    overLimit: boolean;
	    hasChildren: boolean;
	}
	export interface GroupPage {
	    groups: GroupNode[];
	    total: number;
	}
	export interface GroupQuery {
	    parentId?: string;
	    search?: string;
	    offset: number;
	    limit: number;
	}
	export interface PlanSummary {
	    planId: string;
	    directoryId: string;
	    runId: string;
	    tenantId: string;
	    tenantName: string;
	    initialDomain: string;
	    domains: string[];
	    digest: string;
	    full: boolean;
	    counts: report.Count[];
	    operations: number;
	    skips: number;
	    conflicts: Conflict[];
	    notices?: string[];
	    renames?: engine.Rename[];
	    orgChecked?: boolean;
	    blocked: ErrorDTO[];
	    deactivations: number;
	    managedUsers: number;
	    thresholdTripped: boolean;
	    membershipRemovals: number;
	    managedMemberships: number;
	    deletedGroups: number;
	    removalThresholdTripped: boolean;
	    readShrinkTripped: boolean;
	    reportPath: string;
	    created: string;
	    expiresInSeconds: number;
	}
	export interface Progress {
	    directoryId: string;
	    runId: string;
	    phase: string;
	    done: number;
	    total: number;
	    rate: number;
	    etaSeconds: number;
	    message?: string;
	}
	export interface RetiredGroup {
	    scimId: string;
	    name: string;
	    entraId: string;
	    currentGroup: string;
	    members: number;
	}
	
	export interface ScheduleNotice {
	    directoryId: string;
	    error: ErrorDTO;
	    at: string;
	}
	export interface ScheduleStatus {
	    directory: string;
	    kind: string;
	    label: string;
	    installed: boolean;
	    upToDate?: boolean;
	    files: string[];
	    cronLine?: string;
	    command: string[];
	    every?: string;
	    lastScheduledRun?: RunSummary;
	    confirmed?: ConfirmedSet;
	    activated: boolean;
	    activate?: string[][];
	}
	export interface TenantCard {
	    id: string;
	    displayName: string;
	    initialDomain: string;
	    defaultDomain: string;
	    pinnedTenantId?: string;
	    mismatch: boolean;
	}

}

export namespace engine {
	
	export interface Limits {
	    users: number;
	    usersPerGroup: number;
	    groups: number;
	    memberships: number;
	}
	export interface Rename {
	    entraId: string;
	    oldName: string;
	    newName: string;
	    oldScimId: string;
	    stillGrants: number;
	    deleted: boolean;
	}
	export interface Settings {
	    domainMode: string;
	    domains?: string[];
	    userMode: string;
	    groups?: string[];
	    includeDisabled: boolean;
	    includeExternal: boolean;
	    autoSync: boolean;
	    autoIntervalMinutes: number;
	    deactivationMaxCount: number;
	    deactivationMaxPercent: number;
	    removalMaxCount: number;
	    removalMaxPercent: number;
	    protectedGroups?: string[];
	    deleteOutOfScopeGroups: boolean;
	    fullReconcileEvery: number;
	    memberChunkSize: number;
	    concurrency: number;
	    limits?: Limits;
	    leaveScope: string;
	}

}

export namespace report {
	
	export enum Action {
	    CreateUser = "create_user",
	    UpdateUser = "update_user",
	    AdoptUser = "adopt_user",
	    ReactivateUser = "reactivate_user",
	    DeactivateUser = "deactivate_user",
	    SuspendUser = "suspend_user",
	    RestoreUser = "restore_user",
	    CreateGroup = "create_group",
	    AdoptGroup = "adopt_group",
	    ConflictGroup = "conflict_group",
	    AddMember = "add_member",
	    RemoveMember = "remove_member",
	    RetireGroup = "retire_group",
	    DeleteGroup = "delete_group",
	}
	export enum Kind {
	    Preview = "preview",
	    Apply = "apply",
	}
	export enum Result {
	    Planned = "planned",
	    Succeeded = "succeeded",
	    Failed = "failed",
	    Skipped = "skipped",
	}
	export enum Status {
	    Succeeded = "succeeded",
	    Partial = "partial",
	    Failed = "failed",
	    Canceled = "canceled",
	    Blocked = "blocked",
	    Planned = "planned",
	    Running = "running",
	}
	export interface Change {
	    attribute: string;
	    old: string;
	    new: string;
	}
	export interface Confirmation {
	    tenantId: string;
	    domains: string[];
	    planDigest?: string;
	    account?: string;
	    // Go type: time
	    at?: any;
	    automatic?: boolean;
	}
	export interface Count {
	    object: string;
	    action: Action;
	    result: Result;
	    n: number;
	}
	export interface DiffChanged {
	    action: Action;
	    group?: string;
	    resultA: Result;
	    resultB: Result;
	    codeA?: string;
	    codeB?: string;
	    changesA?: Change[];
	    changesB?: Change[];
	    resultChanged: boolean;
	    changesDiffer: boolean;
	}
	export interface DiffOp {
	    action: Action;
	    group?: string;
	    result: Result;
	    code?: string;
	    message?: string;
	    changes?: Change[];
	}
	export interface DiffTotals {
	    objects: number;
	    users: number;
	    groups: number;
	    added: number;
	    removed: number;
	    resultChanged: number;
	    changesDiffer: number;
	    skipChanged: number;
	}
	export interface DirectoryRef {
	    id: string;
	    name: string;
	}
	export interface Info {
	    format: string;
	    bytes: number;
	    invalidUtf8: number;
	    warnings?: string[];
	}
	export interface ObjectDiff {
	    type: string;
	    name: string;
	    email?: string;
	    entraId?: string;
	    atlassianId?: string;
	    added?: DiffOp[];
	    removed?: DiffOp[];
	    changed?: DiffChanged[];
	    skipA?: string;
	    skipB?: string;
	    membersAdded?: number;
	    membersRemoved?: number;
	    membersChanged?: number;
	}
	export interface ObjectRef {
	    type: string;
	    name: string;
	    email?: string;
	    entraId?: string;
	    atlassianId?: string;
	}
	export interface Operation {
	    seq: number;
	    action: Action;
	    object: ObjectRef;
	    group?: ObjectRef;
	    chain?: string[];
	    changes?: Change[];
	    reason?: string;
	    result: Result;
	    code?: string;
	    message?: string;
	    warning?: string;
	}
	export interface OperationPage {
	    total: number;
	    offset: number;
	    rows: Operation[];
	    index: number[];
	}
	export interface Phase {
	    name: string;
	    // Go type: time
	    started: any;
	    durationNs: number;
	    requests?: number;
	}
	export interface Query {
	    text: string;
	    actions?: string[];
	    results?: string[];
	    objectTypes?: string[];
	    offset: number;
	    limit: number;
	}
	export interface RunRef {
	    runId: string;
	    kind: Kind;
	    status: Status;
	    // Go type: time
	    started: any;
	    tenantName: string;
	    tenantId: string;
	    directory: string;
	    operations: number;
	    skips: number;
	}
	export interface ReportDiff {
	    a: RunRef;
	    b: RunRef;
	    sameTenant: boolean;
	    sameDirectory: boolean;
	    totals: DiffTotals;
	    objects: ObjectDiff[];
	}
	export interface RunError {
	    code: string;
	    message: string;
	    action?: string;
	}
	
	export interface Settings {
	    domainMode: string;
	    domains?: string[];
	    userMode: string;
	    groups?: string[];
	    includeDisabled: boolean;
	    includeExternal: boolean;
	    deactivationMaxCount: number;
	    deactivationMaxPercent: number;
	    removalMaxCount?: number;
	    removalMaxPercent?: number;
	    protectedGroups?: string[];
	    deleteOutOfScopeGroups: boolean;
	    incremental: boolean;
	    leaveScope?: string;
	}
	export interface Skip {
	    object: ObjectRef;
	    reason: string;
	    detail?: string;
	}
	export interface SkipPage {
	    total: number;
	    offset: number;
	    rows: Skip[];
	    index: number[];
	}
	export interface TenantRef {
	    id: string;
	    name: string;
	    initialDomain?: string;
	}
	export interface Summary {
	    runId: string;
	    kind: Kind;
	    status: Status;
	    appVersion: string;
	    directory: DirectoryRef;
	    tenant: TenantRef;
	    confirmation: Confirmation;
	    settings: Settings;
	    // Go type: time
	    started: any;
	    // Go type: time
	    ended: any;
	    durationNs: number;
	    phases: Phase[];
	    counts: Count[];
	    errors?: RunError[];
	    operations: number;
	    skips: number;
	    failed: number;
	    pseudonymized: boolean;
	    source?: Info;
	}

}

