package io.modelplane.metering.billing;

import java.util.List;

/** Statements as CSV (RFC 4180): a header line, then one line per tenant and line item. */
public final class StatementCsv {
  public static final String HEADER = "month,tenant,plan,currency,item,description,quantity,unit,unitPrice,amount,total";

  private StatementCsv() {}

  public static String of(List<Statement> statements) {
    StringBuilder csv = new StringBuilder(HEADER).append("\r\n");
    for (Statement s : statements) {
      for (Statement.Line line : s.lines()) {
        csv.append(String.join(",", field(s.month()), field(s.tenant()), field(s.plan()), field(s.currency()),
            field(line.item()), field(line.description()), java.math.BigDecimal.valueOf(line.quantity()).toPlainString(), field(line.unit()),
            String.valueOf(line.unitPrice()), String.valueOf(line.amount()), String.valueOf(s.total())))
            .append("\r\n");
      }
    }
    return csv.toString();
  }

  /** Quoted when it holds a comma, quote or line break; a leading formula character is defused for spreadsheets. */
  static String field(String value) {
    String v = value == null ? "" : value;
    if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
      return "\"" + v.replace("\"", "\"\"") + "\"";
    }
    return v;
  }
}
