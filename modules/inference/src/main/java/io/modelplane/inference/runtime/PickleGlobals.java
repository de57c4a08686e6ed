package io.modelplane.inference.runtime;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Walks a pickle's opcodes without running it and checks every global it names (GLOBAL, INST and
 * STACK_GLOBAL) against what TorchScript writes: tensor rebuild functions, typed storages, its own
 * list builders and the archive's {@code __torch__} classes. Opcodes that reach other callables
 * (OBJ, the extension registry) are refused outright.
 */
final class PickleGlobals {

  /** What a pickle holds that it must not. */
  sealed interface Finding {
    /** A global outside the allowlist, as {@code module.name}. */
    record Forbidden(String name) implements Finding {}

    /** Not a pickle TorchScript could have written. */
    record Malformed(String reason) implements Finding {}
  }

  private static final Set<String> ALLOWED = Set.of(
      "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_qtensor",
      "torch._utils._rebuild_parameter", "collections.OrderedDict", "torch.device",
      "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
      "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
      "torch.BoolStorage", "torch.ComplexFloatStorage", "torch.ComplexDoubleStorage", "torch.QInt8Storage",
      "torch.QUInt8Storage", "torch.QInt32Storage",
      "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_floatlist", "torch.jit._pickle.build_doublelist",
      "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensorlist",
      "torch.jit._pickle.build_tensor_from_id", "torch.jit._pickle.restore_type_tag");
  private static final int MAX_MEMO = 1_000_000;
  private static final int MAX_STRING = 4096;
  private static final Object OTHER = new Object();

  private PickleGlobals() {}

  /**
   * The first forbidden global or the reason the bytes are no pickle; null when every global is
   * allowed. Reads at most {@code maxBytes}.
   */
  static Finding check(InputStream raw, long maxBytes, TorchScriptSource.Definitions defined) throws IOException {
    Counting counting = new Counting(new BufferedInputStream(raw), maxBytes);
    DataInputStream in = new DataInputStream(counting);
    // enough of the stack to resolve STACK_GLOBAL: the last pushed values, strings or OTHER
    Deque<Object> recent = new ArrayDeque<>();
    Map<Long, Object> memo = new HashMap<>();
    try {
      while (true) {
        int op = in.read();
        if (op < 0) {
          return new Finding.Malformed("it ends before its STOP opcode");
        }
        switch (op) {
          case '.' -> {
            return null; // STOP
          }
          case 'c', 'i' -> { // GLOBAL, INST: "module\nname\n"
            String name = line(in) + "." + line(in);
            if (!allowed(name, defined)) {
              return new Finding.Forbidden(name);
            }
            push(recent, OTHER);
          }
          case 0x93 -> { // STACK_GLOBAL
            Object name = recent.pollLast();
            Object module = recent.pollLast();
            if (!(name instanceof String n) || !(module instanceof String m)) {
              return new Finding.Forbidden("STACK_GLOBAL");
            }
            if (!allowed(m + "." + n, defined)) {
              return new Finding.Forbidden(m + "." + n);
            }
            push(recent, OTHER);
          }
          case 'o', 0x82, 0x83, 0x84 -> { // OBJ, EXT1, EXT2, EXT4: callables from elsewhere
            return new Finding.Forbidden(op == 'o' ? "OBJ" : "EXT");
          }
          // strings: remembered for STACK_GLOBAL
          case 'X' -> push(recent, string(in, Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()))));
          case 0x8c -> push(recent, string(in, in.readUnsignedByte()));
          case 0x8d -> push(recent, string(in, Long.reverseBytes(in.readLong())));
          case 'V', 'S' -> push(recent, line(in));
          case 'T' -> push(recent, string(in, Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()))));
          case 'U' -> push(recent, string(in, in.readUnsignedByte()));
          // memo: a string put there may come back for STACK_GLOBAL
          case 0x94 -> remember(memo, memo.size(), recent.peekLast());
          case 'p' -> remember(memo, parseLong(line(in)), recent.peekLast());
          case 'q' -> remember(memo, in.readUnsignedByte(), recent.peekLast());
          case 'r' -> remember(memo, Integer.toUnsignedLong(Integer.reverseBytes(in.readInt())), recent.peekLast());
          case 'g' -> push(recent, recalled(memo, parseLong(line(in))));
          case 'h' -> push(recent, recalled(memo, in.readUnsignedByte()));
          case 'j' -> push(recent, recalled(memo, Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()))));
          // everything else: skip its argument
          case 0x80 -> skip(in, 1); // PROTO
          case 0x95 -> skip(in, 8); // FRAME
          case 'K' -> pushOther(in, recent, 1);
          case 'M' -> pushOther(in, recent, 2);
          case 'J' -> pushOther(in, recent, 4);
          case 'G' -> pushOther(in, recent, 8);
          case 0x8a -> pushOther(in, recent, in.readUnsignedByte());
          case 0x8b, 'B' -> pushOther(in, recent, Integer.toUnsignedLong(Integer.reverseBytes(in.readInt())));
          case 'C' -> pushOther(in, recent, in.readUnsignedByte());
          case 0x8e, 0x96 -> pushOther(in, recent, Long.reverseBytes(in.readLong()));
          case 'F', 'I', 'L', 'P' -> {
            line(in);
            push(recent, OTHER);
          }
          case '(', '0', '1', '2', 'N', 'Q', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 's', 't', ')', 'u', 0x81, 0x85,
              0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x97, 0x98 -> push(recent, OTHER);
          default -> {
            return new Finding.Malformed(String.format("unknown opcode 0x%02x", op));
          }
        }
      }
    } catch (EOFException e) {
      return new Finding.Malformed("it is truncated");
    } catch (TooLarge e) {
      return new Finding.Malformed("it is larger than " + maxBytes + " bytes or has too many memo entries");
    }
  }

  private static boolean allowed(String name, TorchScriptSource.Definitions defined) {
    if (ALLOWED.contains(name)) {
      return true;
    }
    // a class of the archive itself: module "__torch__.a.b", name "C"
    int dot = name.lastIndexOf('.');
    return name.startsWith("__torch__") && dot > 0 && !name.startsWith("__torch__.torch.classes")
        && defined.defines(name.substring(0, dot), name.substring(dot + 1));
  }

  private static void push(Deque<Object> recent, Object value) {
    recent.addLast(value == null ? OTHER : value);
    if (recent.size() > 2) {
      recent.removeFirst();
    }
  }

  private static void pushOther(DataInputStream in, Deque<Object> recent, long skip) throws IOException {
    skip(in, skip);
    push(recent, OTHER);
  }

  private static void remember(Map<Long, Object> memo, long key, Object top) throws TooLarge {
    if (memo.size() >= MAX_MEMO && !memo.containsKey(key)) {
      throw new TooLarge();
    }
    memo.put(key, top == null ? OTHER : top);
  }

  private static Object recalled(Map<Long, Object> memo, long key) {
    Object value = memo.get(key);
    return value == null ? OTHER : value;
  }

  private static String string(DataInputStream in, long length) throws IOException {
    if (length < 0) {
      throw new EOFException();
    }
    if (length > MAX_STRING) {
      skip(in, length);
      return null; // too long to be a module or class name
    }
    byte[] bytes = new byte[(int) length];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String line(DataInputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException();
      }
      if (line.length() > MAX_STRING) {
        throw new TooLarge();
      }
      line.append((char) c);
    }
    // text opcodes (protocol 0) may quote their argument
    String s = line.toString();
    return s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') ? s.substring(1, s.length() - 1) : s;
  }

  private static long parseLong(String s) throws EOFException {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw new EOFException();
    }
  }

  private static void skip(DataInputStream in, long n) throws IOException {
    if (n < 0) {
      throw new EOFException();
    }
    long left = n;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new EOFException();
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  private static final class TooLarge extends IOException {
    TooLarge() {
      super(null, null);
    }
  }

  /** Fails once more than {@code max} bytes were read. */
  private static final class Counting extends InputStream {
    private final InputStream in;
    private final long max;
    private long count;

    Counting(InputStream in, long max) {
      this.in = in;
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0 && ++count > max) {
        throw new TooLarge();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0 && (count += n) > max) {
        throw new TooLarge();
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      if (skipped > 0 && (count += skipped) > max) {
        throw new TooLarge();
      }
      return skipped;
    }
  }
}
