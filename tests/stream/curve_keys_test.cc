#include "stream/curve_keys.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace pinstream {
namespace {

// The derivation is fixed (SPEC section 10): brokers and clients built apart must agree on the
// keys. Expected values computed independently: Z85 of HMAC-SHA256("test-api-key", label) and
// of its X25519 public key (Python's hmac and cryptography modules).
TEST(CurveKeysTest, DerivationIsStable) {
  ASSERT_OK_AND_ASSIGN(CurveKeys keys, DeriveCurveKeys("test-api-key"));
  EXPECT_EQ(keys.server_secret, "iONNPX-FeW(Io[2Up%D?ay%>zNJ^gwVoTM-SyCCe");
  EXPECT_EQ(keys.server_public, "lvr1y}LqP!/gW&aTXdG=(jQ<-y]0SklLkZ?&MP8z");
  EXPECT_EQ(keys.client_secret, "[vLARw#%:ZghnV^lDRz.Y>HY-P%v]kFR][ffCP3Q");
  EXPECT_EQ(keys.client_public, "zt/05uiyz=t$ABZO$)@7Qx@jLJi1HoJ[Gg^0!)yp");
}

}  // namespace
}  // namespace pinstream
