// The upload buffer of RegistryService.Import without gRPC: files in /vsimem/, their limits.
#include "server/app/upload_buffer.h"

#include <cpl_vsi.h>
#include <gtest/gtest.h>

#include <string>

#include "geo/spatial/gdal_handles.h"

namespace covgap::server {
namespace {

std::string ReadBack(const std::string& path) {
  const geo::VsiFile f(VSIFOpenL(path.c_str(), "rb"));
  if (f == nullptr) return "<missing>";
  std::string out;
  char buf[256];
  for (std::size_t n; (n = VSIFReadL(buf, 1, sizeof buf, f.get())) > 0;) out.append(buf, n);
  return out;
}

TEST(UploadBuffer, PartsOfEachFileAreJoinedInOrder) {
  std::string path;
  {
    UploadBuffer upload(1 << 20);
    ASSERT_TRUE(upload.Add("xa.shp", "abc").ok());
    ASSERT_TRUE(upload.Add("xa.shp", "def").ok());
    ASSERT_TRUE(upload.Add("xa.dbf", "123").ok());
    upload.Finish();
    EXPECT_EQ(upload.files(), (std::vector<std::string>{"xa.shp", "xa.dbf"}));
    EXPECT_EQ(upload.bytes(), 9u);
    path = upload.PathOf("xa.shp");
    EXPECT_EQ(ReadBack(path), "abcdef");
    EXPECT_EQ(ReadBack(upload.PathOf("xa.dbf")), "123");
  }
  EXPECT_EQ(ReadBack(path), "<missing>") << "the buffer removes its files";
}

TEST(UploadBuffer, RefusesWhatAnImportCannotTake) {
  UploadBuffer upload(10);
  Status s = upload.Add("../etc/passwd", "x");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "'../etc/passwd' is not a plain file name");

  ASSERT_TRUE(upload.Add("a.csv", "12345").ok());
  ASSERT_TRUE(upload.Add("b.csv", "1").ok());
  s = upload.Add("a.csv", "6");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "the parts of 'a.csv' must be sent one after the other");

  s = upload.Add("b.csv", "23456");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "the upload is larger than the server's limit of 10 bytes (covgapd --max-upload-mb)");
}

TEST(UploadBuffer, TheLimitIsSaidInMiBWhenItIsWhole) {
  UploadBuffer upload(1 << 20);
  const std::string big((1 << 20) + 1, 'x');
  const Status s = upload.Add("big.csv", big);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("limit of 1 MiB"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace covgap::server
