package io.modelplane.inference.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * A 1.5 KB TorchScript model returning its FP32 input cast to int16 and to bfloat16: the two
 * types DJL 0.35.1 cannot name. Made with Debian's torch 1.13:
 *
 * <pre>
 * class Casts(torch.nn.Module):
 *     def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
 *         return x.to(torch.int16), x.to(torch.bfloat16)
 * torch.jit.script(Casts()).save("casts.pt")
 * </pre>
 */
final class CastsModel {

  private static final String PT =
      "UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAOABQAbW9kZWwvZGF0YS5wa2xGQhAAWlpaWlpaWlpaWlpaWlpaWoACY19fdG9yY2hf" +
      "XwpDYXN0cwpxACmBfShYCAAAAHRyYWluaW5ncQGIWBYAAABfaXNfZnVsbF9iYWNrd2FyZF9ob29rcQJOdWJxAy5QSwcI0PGPskwA" +
      "AABMAAAAUEsDBBQACAgIAAAAAAAAAAAAAAAAAAAAAAAXAC8AbW9kZWwvY29kZS9fX3RvcmNoX18ucHlGQisAWlpaWlpaWlpaWlpa" +
      "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlWOsQ6CMBCGd5/iRpogiSYuTXRxNi5shFwKtEKoPXJtI48vrQ463vd/d/f3" +
      "VnkPV+WDL240RKuF3AEgLorVUwfNHhHO0LSZdtGYPxRYTW5yD5DQEdkkTR5NtBY71c8vxQOORPOW35cwkVO2SWLaHbQBQ5ycwmtr" +
      "5PYgEPcjYpUblZsEsEqotfPEAvYXqONidfMB5TdoZRZZh8gOinyjClSsJRxFCb/z4STE7g1QSwcI28BSZKwAAAD1AAAAUEsDBBQA" +
      "CAgIAAAAAAAAAAAAAAAAAAAAAAAhAAUAbW9kZWwvY29kZS9fX3RvcmNoX18ucHkuZGVidWdfcGtsRkIBAFpVjM1Kw0AUhadJ1ZqN" +
      "W5ezTCEm6EKhC6GCP+VahRgwoCWmyYTETpNMMsG4Ezfzgj6Aig8g+gJOrJB4uXAu3zn3PCnuNkLo5NKejh3veuKceVeOPbk49Zzx" +
      "0fkxQ7orbcR67lQKlhOSCEdZ8eAXoV4SGhm4HmGeFUFsOiQts2KIdw6xU+WU3HSx8S80G2lMcQ/+OpspCK+KFNcmz/RVMkn57v7Q" +
      "6KJ5RDO/oRpT3S35bfFlbpE6t5aLPTN/ZH3O1nRAwSp+n3DTy5NgQYk2rxIaerKTJiXX2Lo+0wm3AQESbONXmn2JGwN6oABqbBX6" +
      "gg3gFu4E9AS8xgPwgQpQBLzFLX+P24oPyTMoBagCPuXN4VnIFvjq8O82z9mmMH8AUEsHCHaWwKweAQAAhwEAAFBLAwQAAAgIAAAA" +
      "AAAAAAAAAAAAAAAAAAAAEwAhAG1vZGVsL2NvbnN0YW50cy5wa2xGQh0AWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlqAAiku" +
      "UEsHCG0vCVcEAAAABAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAADQBBAG1vZGVsL3ZlcnNpb25GQj0AWlpaWlpaWlpaWlpa" +
      "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWjMKUEsHCNGeZ1UCAAAAAgAAAFBLAQIAAAAA" +
      "CAgAAAAAAADQ8Y+yTAAAAEwAAAAOAAAAAAAAAAAAAAAAAAAAAABtb2RlbC9kYXRhLnBrbFBLAQIAABQACAgIAAAAAADbwFJkrAAA" +
      "APUAAAAXAAAAAAAAAAAAAAAAAJwAAABtb2RlbC9jb2RlL19fdG9yY2hfXy5weVBLAQIAABQACAgIAAAAAAB2lsCsHgEAAIcBAAAh" +
      "AAAAAAAAAAAAAAAAALwBAABtb2RlbC9jb2RlL19fdG9yY2hfXy5weS5kZWJ1Z19wa2xQSwECAAAAAAgIAAAAAAAAbS8JVwQAAAAE" +
      "AAAAEwAAAAAAAAAAAAAAAAAuAwAAbW9kZWwvY29uc3RhbnRzLnBrbFBLAQIAAAAACAgAAAAAAADRnmdVAgAAAAIAAAANAAAAAAAA" +
      "AAAAAAAAAJQDAABtb2RlbC92ZXJzaW9uUEsGBiwAAAAAAAAAHgMtAAAAAAAAAAAABQAAAAAAAAAFAAAAAAAAAEwBAAAAAAAAEgQA" +
      "AAAAAABQSwYHAAAAAF4FAAAAAAAAAQAAAFBLBQYAAAAABQAFAEwBAAASBAAAAAA=";

  private CastsModel() {}

  static Path write(Path target) {
    try {
      return Files.write(target, Base64.getDecoder().decode(PT));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
