#pragma once
// The JSON Schemas of schemas/, compiled in so the verifier needs no files beside it.
// Generated from the schema files at configure time (schemas.cpp.in).

namespace custody::json {

extern const char* const kCustodyEventSchema;
extern const char* const kCollectionSchema;
extern const char* const kVerifyReportSchema;
extern const char* const kSimStartupSchema;
extern const char* const kSimAnswerKeySchema;
extern const char* const kRecordSchema;
extern const char* const kCaptureSidecarSchema;

}  // namespace custody::json
