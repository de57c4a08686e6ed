package io.modelplane.inference.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The allowlist check of one code entry of a TorchScript archive: the source TorchScript writes
 * there names every global it uses fully qualified ({@code torch.relu}, {@code ops.prim.device},
 * {@code __torch__.a.B}), so a tokenizer and a few rules decide what it may reach. A name the
 * rules do not understand is refused.
 */
final class TorchScriptSource {

  /** What a code entry reaches that it must not: the operator as written, and why. */
  record Finding(String operator, String reason) {}

  /** The classes and functions each module of the archive defines at its top level. */
  record Definitions(Map<String, Set<String>> byModule) {
    boolean defines(String module, String name) {
      Set<String> names = byModule.get(module);
      return names != null && names.contains(name);
    }
  }

  private static final Pattern OPERATOR = Pattern.compile("[a-z_][a-z0-9_]*");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** Names TorchScript resolves itself (its builtins, types and special forms); never modules. */
  private static final Set<String> BUILTINS = Set.of(
      "int", "float", "bool", "str", "complex", "len", "range", "annotate", "uninitialized", "unchecked_cast",
      "isinstance", "min", "max", "abs", "round", "divmod", "all", "any", "sum", "list", "dict", "tuple", "zip",
      "enumerate", "ord", "chr", "hex", "oct", "bin", "hash", "id", "inf", "nan", "infj", "nanj", "None", "True",
      "False", "Tensor", "List", "Dict", "Optional", "Tuple", "Union", "Any", "NoneType", "Future", "Await",
      "Device", "Final", "NamedTuple", "Enum", "Module", "ModuleInterface", "Interface", "number", "Generic",
      "CONSTANTS", "__annotations__", "__parameters__", "__buffers__", "__constants__", "op_version_set");
  private static final Set<String> KEYWORDS = Set.of(
      "def", "class", "return", "if", "elif", "else", "while", "for", "in", "not", "and", "or", "is", "pass",
      "break", "continue", "assert", "raise", "with", "as");
  /** Python statements TorchScript never writes and that reach outside the model. */
  private static final Set<String> FORBIDDEN_KEYWORDS = Set.of(
      "import", "from", "lambda", "global", "nonlocal", "exec", "del", "yield", "async", "await", "try", "except",
      "finally");
  private static final Set<String> JIT = Set.of("annotate", "is_scripting", "is_tracing", "_unwrap_optional");

  /** Names refused wherever they appear, exactly (compared lower-case). */
  private static final Set<String> DENIED_NAMES = Set.of(
      "eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "setattr", "delattr",
      "__builtins__", "__dict__", "__class__", "__subclasses__", "__globals__", "__code__", "__reduce__",
      "__reduce_ex__", "__getattribute__", "__getattr__", "__setattr__", "os", "posix", "sys", "subprocess",
      "builtins", "importlib", "ctypes", "socket", "shutil", "marshal", "save", "load", "print", "set_", "set_data",
      "share_memory_", "manual_seed", "seed", "initial_seed", "fork", "wait", "awaitable", "awaitable_wait",
      "awaitable_nowait");
  /** Parts of names refused wherever they appear (compared lower-case): the second net. */
  private static final List<String> DENIED_PARTS = List.of(
      "from_file", "_load_for", "storage", "mmap", "pickle", "rpc_", "librar", "_cufft", "_share_", "_debug");

  private TorchScriptSource() {}

  /** The top-level classes and functions of every module, from its source. */
  static Definitions definitions(Map<String, String> sources) {
    Map<String, Set<String>> byModule = new HashMap<>();
    sources.forEach((module, source) -> {
      Set<String> names = new HashSet<>();
      for (String line : source.split("\n", -1)) {
        String[] words = line.split("[\\s(:]+", 3);
        if (words.length >= 2 && (words[0].equals("class") || words[0].equals("def"))
            && IDENTIFIER.matcher(words[1]).matches()) {
          names.add(words[1]);
        }
      }
      byModule.put(module, Set.copyOf(names));
    });
    return new Definitions(Map.copyOf(byModule));
  }

  /** The first thing {@code source} reaches that it must not, or null. */
  static Finding check(String module, String source, Definitions defined) {
    List<Token> tokens;
    try {
      tokens = tokenize(source);
    } catch (Refused r) {
      return r.finding;
    }
    Set<String> bound = boundNames(tokens);
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.kind != Kind.NAME) {
        continue;
      }
      String denied = denied(t.text);
      if (denied != null) {
        return new Finding(chainAround(tokens, i), "'" + t.text + "' is refused (" + denied + ")");
      }
      if (i > 0 && tokens.get(i - 1).is(".")) {
        continue; // a member of what came before: checked with its chain or by the deny list above
      }
      if (FORBIDDEN_KEYWORDS.contains(t.text)) {
        return new Finding(t.text, "the '" + t.text + "' statement is not TorchScript");
      }
      if (KEYWORDS.contains(t.text)) {
        continue;
      }
      if (i + 1 < tokens.size() && tokens.get(i + 1).kind == Kind.STRING) {
        return new Finding(t.text, "string prefixes are not TorchScript");
      }
      if (t.depth > 0 && i + 1 < tokens.size() && tokens.get(i + 1).is("=")) {
        continue; // a keyword argument's name
      }
      List<String> chain = chain(tokens, i);
      Finding finding = checkChain(chain, tokens, i, bound, defined);
      if (finding != null) {
        return finding;
      }
      i += 2 * (chain.size() - 1);
    }
    return null;
  }

  private static Finding checkChain(List<String> chain, List<Token> tokens, int at, Set<String> bound,
      Definitions defined) {
    String head = chain.get(0);
    String written = String.join(".", chain);
    for (String part : chain) {
      String denied = denied(part);
      if (denied != null) {
        return new Finding(written, "'" + part + "' is refused (" + denied + ")");
      }
    }
    switch (head) {
      case "torch" -> {
        if (chain.size() == 2 && OPERATOR.matcher(chain.get(1)).matches()) {
          return null;
        }
        if (chain.size() == 4 && chain.get(1).equals("nn") && chain.get(2).equals("functional")
            && OPERATOR.matcher(chain.get(3)).matches()) {
          return null;
        }
        if (chain.size() == 3 && chain.get(1).equals("jit") && JIT.contains(chain.get(2))) {
          return null;
        }
        return new Finding(written, "only tensor operators (torch.<operator>) may be called");
      }
      case "ops" -> {
        if (chain.size() == 3 && (chain.get(1).equals("aten") || chain.get(1).equals("prim"))
            && IDENTIFIER.matcher(chain.get(2)).matches()) {
          return null;
        }
        return new Finding(written, "only operators of the aten and prim namespaces may be called");
      }
      case "math" -> {
        return chain.size() == 2 && OPERATOR.matcher(chain.get(1)).matches()
            ? null : new Finding(written, "only math functions may be called");
      }
      case "__torch__" -> {
        return checkArchiveName(chain, written, defined);
      }
      case "getattr", "hasattr" -> {
        return checkGetattr(head, tokens, at, bound);
      }
      default -> {
        if (BUILTINS.contains(head) || bound.contains(head)) {
          return null;
        }
        return new Finding(written, "'" + head + "' is neither a TorchScript builtin nor defined in the code");
      }
    }
  }

  /** {@code __torch__.<module>.<Name>...}: a class or function this archive defines itself. */
  private static Finding checkArchiveName(List<String> chain, String written, Definitions defined) {
    if (chain.size() >= 3 && chain.get(1).equals("torch") && chain.get(2).equals("classes")) {
      return new Finding(written, "custom classes (torch.classes) are native code outside the model");
    }
    for (int split = chain.size() - 1; split >= 1; split--) {
      String module = String.join(".", chain.subList(0, split));
      if (defined.defines(module, chain.get(split))) {
        return null;
      }
    }
    return new Finding(written, "the archive defines no such class or function");
  }

  /** {@code getattr(<local>, "<identifier>")} only: a string never names a global. */
  private static Finding checkGetattr(String head, List<Token> tokens, int at, Set<String> bound) {
    boolean shaped = at + 5 < tokens.size()
        && tokens.get(at + 1).is("(")
        && tokens.get(at + 2).kind == Kind.NAME && bound.contains(tokens.get(at + 2).text)
        && tokens.get(at + 3).is(",")
        && tokens.get(at + 4).kind == Kind.STRING
        && (tokens.get(at + 5).is(")") || tokens.get(at + 5).is(","));
    if (!shaped) {
      return new Finding(head, head + " may only read an attribute of a module or object by a constant name");
    }
    String name = tokens.get(at + 4).text;
    if (!name.matches("[A-Za-z0-9_]+") || denied(name) != null) {
      return new Finding(head + "(\"" + name + "\")", "attribute name refused");
    }
    return null;
  }

  private static String denied(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (DENIED_NAMES.contains(lower)) {
      return "file, process, storage or interpreter access";
    }
    for (String part : DENIED_PARTS) {
      if (lower.contains(part)) {
        return "names containing '" + part + "' are refused";
      }
    }
    return null;
  }

  /** {@code a.b.c} starting at token {@code i}. */
  private static List<String> chain(List<Token> tokens, int i) {
    List<String> parts = new ArrayList<>();
    parts.add(tokens.get(i).text);
    int j = i + 1;
    while (j + 1 < tokens.size() && tokens.get(j).is(".") && tokens.get(j + 1).kind == Kind.NAME) {
      parts.add(tokens.get(j + 1).text);
      j += 2;
    }
    return parts;
  }

  /** The dotted name that token {@code i} is part of, for the report. */
  private static String chainAround(List<Token> tokens, int i) {
    int start = i;
    while (start >= 2 && tokens.get(start - 1).is(".") && tokens.get(start - 2).kind == Kind.NAME) {
      start -= 2;
    }
    if (start > 0 && tokens.get(start - 1).is(".")) {
      return "." + String.join(".", chain(tokens, start));
    }
    return String.join(".", chain(tokens, start));
  }

  /**
   * Names the code binds itself: functions, classes, parameters, assignment and loop targets. One
   * set per entry: TorchScript itself refuses a name used outside its scope. Linear in the tokens.
   */
  private static Set<String> boundNames(List<Token> tokens) {
    int n = tokens.size();
    // per token: where its statement's first depth-0 '=' and its 'in' are (-1: none)
    int[] assignAt = new int[n];
    int[] inAt = new int[n];
    int statementStart = 0;
    for (int i = 0; i <= n; i++) {
      if (i == n || tokens.get(i).kind == Kind.NEWLINE) {
        int assign = -1;
        int in = -1;
        for (int j = statementStart; j < i; j++) {
          Token t = tokens.get(j);
          if (assign < 0 && t.depth == 0 && t.is("=")) {
            assign = j;
          }
          if (in < 0 && t.is("in")) {
            in = j;
          }
        }
        for (int j = statementStart; j < i; j++) {
          assignAt[j] = assign;
          inAt[j] = in;
        }
        statementStart = i + 1;
      }
    }
    Set<String> bound = new HashSet<>();
    bound.add("self");
    statementStart = 0;
    for (int i = 0; i < n; i++) {
      Token t = tokens.get(i);
      if (t.kind == Kind.NEWLINE) {
        statementStart = i + 1;
        continue;
      }
      if (t.kind != Kind.NAME || (i > 0 && tokens.get(i - 1).is("."))) {
        continue;
      }
      Token next = i + 1 < n ? tokens.get(i + 1) : null;
      Token previous = i > 0 ? tokens.get(i - 1) : null;
      boolean statementIs = statementStart < n;
      if (previous != null && previous.kind == Kind.NAME
          && (previous.text.equals("def") || previous.text.equals("class") || previous.text.equals("as"))) {
        bound.add(t.text);
      } else if (t.depth > 0 && previous != null && (previous.is("(") || previous.is(","))
          && next != null && next.is(":") && statementIs && tokens.get(statementStart).is("def")) {
        bound.add(t.text); // a parameter
      } else if (t.depth == 0 && i == statementStart && next != null && next.is(":")) {
        bound.add(t.text); // an annotated attribute or variable
      } else if (t.depth == 0 && assignAt[i] > i) {
        bound.add(t.text); // an assignment target
      } else if (statementIs && tokens.get(statementStart).is("for") && inAt[i] > i) {
        bound.add(t.text); // a loop target
      }
    }
    return bound;
  }

  enum Kind { NAME, STRING, NUMBER, OP, NEWLINE }

  /** One token; {@code depth} counts the brackets it is inside. */
  record Token(Kind kind, String text, int depth) {
    boolean is(String s) {
      return (kind == Kind.OP || kind == Kind.NAME) && text.equals(s);
    }
  }

  private static final List<String> OPERATORS = List.of(
      "**=", "//=", ">>=", "<<=", "->", "==", "!=", "<=", ">=", "**", "//", "<<", ">>", "+=", "-=", "*=", "/=",
      "%=", "&=", "|=", "^=", "@=", ":=");

  /** Python's tokens, as far as TorchScript source uses them; anything else is refused. */
  static List<Token> tokenize(String s) {
    List<Token> tokens = new ArrayList<>();
    int depth = 0;
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < n && s.charAt(i + 1) == '\n') {
        i += 2; // an explicit line continuation
      } else if (c == '\\' && i + 2 < n && s.charAt(i + 1) == '\r' && s.charAt(i + 2) == '\n') {
        i += 3;
      } else if (c == '\n') {
        if (depth == 0 && !tokens.isEmpty() && tokens.get(tokens.size() - 1).kind != Kind.NEWLINE) {
          tokens.add(new Token(Kind.NEWLINE, "\n", 0));
        }
        i++;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        i++;
      } else if (c == '#') {
        while (i < n && s.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '"' || c == '\'') {
        int end = stringEnd(s, i);
        tokens.add(new Token(Kind.STRING, stringValue(s, i, end), depth));
        i = end;
      } else if (isNameStart(c)) {
        int start = i;
        while (i < n && isNamePart(s.charAt(i))) {
          i++;
        }
        tokens.add(new Token(Kind.NAME, s.substring(start, i), depth));
      } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1))
          && (tokens.isEmpty() || tokens.get(tokens.size() - 1).kind == Kind.OP))) {
        int start = i;
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) && s.charAt(i) < 128 || s.charAt(i) == '.'
            || s.charAt(i) == '_'
            || ((s.charAt(i) == '+' || s.charAt(i) == '-') && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E')))) {
          i++;
        }
        tokens.add(new Token(Kind.NUMBER, s.substring(start, i), depth));
      } else if (c < 128 && "()[]{},:.;@=+-*/%<>&|^~!".indexOf(c) >= 0) {
        String op = String.valueOf(c);
        for (String candidate : OPERATORS) {
          if (s.startsWith(candidate, i)) {
            op = candidate;
            break;
          }
        }
        if (op.equals("(") || op.equals("[") || op.equals("{")) {
          tokens.add(new Token(Kind.OP, op, depth));
          depth++;
        } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
          depth = Math.max(0, depth - 1);
          tokens.add(new Token(Kind.OP, op, depth));
        } else {
          tokens.add(new Token(Kind.OP, op, depth));
        }
        i += op.length();
      } else {
        throw new Refused(new Finding(Character.isLetter(c) ? "non-ASCII name" : "character U+"
            + String.format("%04X", (int) c), "only ASCII names and Python punctuation may appear outside strings"));
      }
    }
    return tokens;
  }

  private static boolean isNameStart(char c) {
    return c < 128 && (Character.isLetter(c) || c == '_');
  }

  private static boolean isNamePart(char c) {
    return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
  }

  private static int stringEnd(String s, int start) {
    char quote = s.charAt(start);
    boolean triple = s.startsWith(String.valueOf(quote).repeat(3), start);
    int i = start + (triple ? 3 : 1);
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (triple ? s.startsWith(String.valueOf(quote).repeat(3), i) : c == quote) {
        return i + (triple ? 3 : 1);
      } else if (c == '\n' && !triple) {
        break;
      } else {
        i++;
      }
    }
    throw new Refused(new Finding("unterminated string", "a string literal is not closed"));
  }

  /** The literal's text between its quotes (escapes left as written: names never contain them). */
  private static String stringValue(String s, int start, int end) {
    char quote = s.charAt(start);
    int q = s.startsWith(String.valueOf(quote).repeat(3), start) && end - start >= 6 ? 3 : 1;
    return s.substring(start + q, end - q);
  }

  /** Ends tokenizing with a finding. */
  private static final class Refused extends RuntimeException {
    final transient Finding finding;

    Refused(Finding finding) {
      super(null, null, false, false);
      this.finding = finding;
    }
  }
}
