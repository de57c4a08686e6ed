package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The code allowlist and the pickle scan on hand-written sources: the forms a corpus cannot enumerate. */
class TorchScriptSourceTest {

  static final String MODULE = "__torch__.m";
  static final TorchScriptSource.Definitions DEFINED =
      TorchScriptSource.definitions(Map.of(MODULE, "class M(Module):\n  pass\ndef helper(x: Tensor) -> Tensor:\n"
          + "  return x\n"));

  static String refused(String body) {
    String source = "class M(Module):\n  weight : Tensor\n"
        + "  def forward(self: __torch__.m.M, x: Tensor, n: int=3) -> Tensor:\n"
        + body + "\n";
    TorchScriptSource.Finding finding = TorchScriptSource.check(MODULE, source, DEFINED);
    return finding == null ? null : finding.operator();
  }

  @Test
  void tensorCodeIsAllowed() {
    assertThat(refused("""
            _0 = torch.linear(x, self.weight, None)
            y = ops.prim.NumToTensor(torch.size(_0, 0))
            w = getattr(self, "weight")
            for i in range(n):
              _0 = torch.add(_0, math.sqrt(2.0), alpha=1)  # a comment with from_file
            s = "torch.from_file('/etc/passwd') in a string is only text"
            z = __torch__.m.helper(annotate(List[int], []))
            return torch.relu(_0)""")).isNull();
  }

  @Test
  void globalsReachedAnyOtherWayAreRefused() {
    assertThat(refused("    return (torch).from_file(\"/etc/passwd\", False, 1)")).isEqualTo("torch");
    assertThat(refused("    f = torch\n    return x")).isEqualTo("torch");
    assertThat(refused("    return ops.quantized.linear(x)")).isEqualTo("ops.quantized.linear");
    assertThat(refused("    return torch.ops.aten.relu(x)")).isEqualTo("torch.ops.aten.relu");
    assertThat(refused("    return torch.jit._pickle.build_intlist(x)")).isEqualTo("torch.jit._pickle.build_intlist");
    assertThat(refused("    return os.system(\"id\")")).isEqualTo("os.system");
    assertThat(refused("    return unknown_global(x)")).isEqualTo("unknown_global");
    assertThat(refused("    return __torch__.other.Thing(x)")).isEqualTo("__torch__.other.Thing");
    assertThat(refused("    return getattr(x, n)")).isEqualTo("getattr");
    assertThat(refused("    return getattr(self, \"__class__\")")).isEqualTo("getattr(\"__class__\")");
    assertThat(refused("    import os\n    return x")).isEqualTo("import");
    assertThat(refused("    return x.untyped_storage()")).isEqualTo("x.untyped_storage");
    assertThat(refused("    return (x).storage()")).isEqualTo(".storage");
    assertThat(refused("    print(x)\n    return x")).isEqualTo("print");
    assertThat(refused("    return f\"{x}\"")).isEqualTo("f");
    assertThat(refused("    return torch.from_f\u0131le(x)")).isEqualTo("non-ASCII name");
    assertThat(refused("    return \"unterminated")).isEqualTo("unterminated string");
  }

  @Test
  void aHugeStatementIsCheckedInLinearTime() {
    // 4 MB on one line: a quadratic check would take hours
    String body = "    y = x" + " + torch.relu(x)".repeat(250_000) + "\n    return y";
    long started = System.nanoTime();
    assertThat(refused(body)).isNull();
    assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(30_000); // seconds on a busy CI machine
  }

  @Test
  void picklesMayNameOnlyWhatTorchScriptWrites() throws IOException {
    // GLOBAL of an archive class and a rebuild function: allowed
    assertThat(scan("\u0080\u0002c__torch__.m\nM\nctorch._utils\n_rebuild_tensor_v2\n.")).isNull();
    assertThat(scan("\u0080\u0002cos\nsystem\n.")).isEqualTo(new PickleGlobals.Finding.Forbidden("os.system"));
    assertThat(scan("\u0080\u0002c__torch__.torch.classes.evil\nReader\n."))
        .isEqualTo(new PickleGlobals.Finding.Forbidden("__torch__.torch.classes.evil.Reader"));
    // STACK_GLOBAL of strings put in the memo and fetched back
    assertThat(scan("\u0080\u0004\u008c\u0008builtinsq\u0000\u008c\u0004evalq\u0001h\u0000h\u0001\u0093."))
        .isEqualTo(new PickleGlobals.Finding.Forbidden("builtins.eval"));
    // STACK_GLOBAL of something that is not two strings, OBJ, or no STOP
    assertThat(scan("\u0080\u0004K\u0001K\u0002\u0093."))
        .isEqualTo(new PickleGlobals.Finding.Forbidden("STACK_GLOBAL"));
    assertThat(scan("\u0080\u0002(o.")).isEqualTo(new PickleGlobals.Finding.Forbidden("OBJ"));
    assertThat(scan("\u0080\u0002}")).isInstanceOf(PickleGlobals.Finding.Malformed.class);
    assertThat(scan("\u0080\u0002\u00ff.")).isInstanceOf(PickleGlobals.Finding.Malformed.class);
  }

  private static PickleGlobals.Finding scan(String latin1) throws IOException {
    byte[] bytes = latin1.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    return PickleGlobals.check(new ByteArrayInputStream(bytes), 1 << 20, DEFINED);
  }
}
