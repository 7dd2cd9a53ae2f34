#include "archive/s3_xml.h"

#include <expat.h>

#include <charconv>
#include <memory>

namespace pinstream {

namespace {

// Collects the text of the elements at the paths a caller cares about. The documents here are
// shallow and small, so a path of element names is all the state there is.
class XmlWalker {
 public:
  virtual ~XmlWalker() = default;

  // Parses `xml`; false (with error() set) when it is not well-formed.
  bool Parse(std::string_view xml) {
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                        &XML_ParserFree);
    if (!parser) {
      error_ = "out of memory";
      return false;
    }
    XML_SetUserData(parser.get(), this);
    XML_SetElementHandler(parser.get(), &XmlWalker::OnStart, &XmlWalker::OnEnd);
    XML_SetCharacterDataHandler(parser.get(), &XmlWalker::OnText);
    if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) ==
        XML_STATUS_ERROR) {
      error_ = std::string(XML_ErrorString(XML_GetErrorCode(parser.get()))) + " at line " +
               std::to_string(XML_GetCurrentLineNumber(parser.get()));
      return false;
    }
    return true;
  }
  const std::string& error() const { return error_; }
  const std::string& root() const { return root_; }

 protected:
  // `path` holds the names from the root's child down, e.g. {"Contents", "Key"}.
  virtual void Start(const std::vector<std::string>& path) = 0;
  virtual void End(const std::vector<std::string>& path, std::string text) = 0;

 private:
  static std::string LocalName(const XML_Char* name) {
    std::string_view n(name);
    return std::string(n);
  }
  static void OnStart(void* self_ptr, const XML_Char* name, const XML_Char**) {
    auto* self = static_cast<XmlWalker*>(self_ptr);
    if (self->depth_++ == 0) {
      self->root_ = LocalName(name);
      return;
    }
    self->path_.push_back(LocalName(name));
    self->text_.clear();
    self->Start(self->path_);
  }
  static void OnEnd(void* self_ptr, const XML_Char*) {
    auto* self = static_cast<XmlWalker*>(self_ptr);
    if (--self->depth_ == 0) return;
    self->End(self->path_, std::move(self->text_));
    self->text_.clear();
    self->path_.pop_back();
  }
  static void OnText(void* self_ptr, const XML_Char* s, int len) {
    static_cast<XmlWalker*>(self_ptr)->text_.append(s, static_cast<size_t>(len));
  }

  int depth_ = 0;
  std::string root_;
  std::vector<std::string> path_;
  std::string text_;
  std::string error_;
};

class ListWalker final : public XmlWalker {
 public:
  ListObjectsPage page;
  bool bad_size = false;

 private:
  void Start(const std::vector<std::string>& path) override {
    if (path.size() == 1 && path[0] == "Contents") page.objects.emplace_back();
  }
  void End(const std::vector<std::string>& path, std::string text) override {
    if (path.size() == 1) {
      if (path[0] == "IsTruncated") page.is_truncated = text == "true";
      if (path[0] == "NextContinuationToken") page.next_continuation_token = std::move(text);
      return;
    }
    if (path.size() != 2 || path[0] != "Contents" || page.objects.empty()) return;
    ObjectInfo& obj = page.objects.back();
    if (path[1] == "Key") obj.key = std::move(text);
    if (path[1] == "Size") {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), obj.size);
      if (ec != std::errc() || end != text.data() + text.size()) bad_size = true;
    }
  }
};

class ErrorWalker final : public XmlWalker {
 public:
  S3Error error;

 private:
  void Start(const std::vector<std::string>&) override {}
  void End(const std::vector<std::string>& path, std::string text) override {
    if (path.size() != 1) return;
    if (path[0] == "Code") error.code = std::move(text);
    if (path[0] == "Message") error.message = std::move(text);
  }
};

}  // namespace

Result<ListObjectsPage> ParseListObjectsV2(std::string_view xml) {
  ListWalker walker;
  if (!walker.Parse(xml)) {
    return Status::Corruption("ListObjectsV2 answer is not XML: " + walker.error());
  }
  if (walker.root() != "ListBucketResult") {
    return Status::Corruption("ListObjectsV2 answer is <" + walker.root() +
                              ">, not <ListBucketResult>");
  }
  if (walker.bad_size) return Status::Corruption("ListObjectsV2 answer has a bad <Size>");
  if (walker.page.is_truncated && walker.page.next_continuation_token.empty()) {
    return Status::Corruption("ListObjectsV2 answer is truncated without a continuation token");
  }
  return std::move(walker.page);
}

S3Error ParseS3Error(std::string_view xml) {
  ErrorWalker walker;
  if (!walker.Parse(xml) || walker.root() != "Error") return {};
  return std::move(walker.error);
}

}  // namespace pinstream
