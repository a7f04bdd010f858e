#include "errors.h"

#include <string>

namespace py = pybind11;

namespace alike::python {
namespace {

// The module the classes live in; the translator looks them up there rather than keeping them
// in a static, and the import is a dictionary lookup once the module is loaded.
constexpr char kModuleName[] = "alike._alike";

const char* ClassName(Status::Code code) {
  switch (code) {
    case Status::Code::kNotFound:
      return "NotFound";
    case Status::Code::kAlreadyExists:
      return "AlreadyExists";
    case Status::Code::kInvalidArgument:
      return "InvalidArgument";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kIOError:
      return "IOError";
    default:
      return "Error";
  }
}

// pybind11's py::exception takes a single base; InvalidArgument and IOError have two.
void AddClass(py::module_& module, const char* name, const char* doc, const py::tuple& bases) {
  const std::string qualified = std::string("alike.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  module.add_object(name, py::reinterpret_steal<py::object>(cls));
}

}  // namespace

void RegisterErrors(py::module_& module) {
  AddClass(module, "Error", "Base class of every error alike reports; str(e) is its message.",
           py::make_tuple(py::handle(PyExc_Exception)));
  const py::object error = module.attr("Error");
  AddClass(module, "NotFound", "No such database, collection or record.", py::make_tuple(error));
  AddClass(module, "AlreadyExists", "A collection or snapshot target exists already.",
           py::make_tuple(error));
  AddClass(module, "InvalidArgument",
           "Bad input: a wrong shape, dtype or dimension, NaN, a malformed filter or payload. "
           "Also a ValueError.",
           py::make_tuple(error, py::handle(PyExc_ValueError)));
  AddClass(module, "Corruption", "A database file is damaged.", py::make_tuple(error));
  AddClass(module, "IOError", "The file system failed. Also an OSError.",
           py::make_tuple(error, py::handle(PyExc_OSError)));

  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const StatusError& e) {
      const py::object cls = py::module_::import(kModuleName).attr(ClassName(e.code()));
      PyErr_SetString(cls.ptr(), e.what());
    }
  });
}

}  // namespace alike::python
