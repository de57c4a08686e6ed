package io.modelplane.api.view;

import java.util.List;

/** A page of the audit log, oldest first; {@code next} as in {@link TenantList}. */
public record AuditList(List<AuditEntryView> entries, String next) {}
