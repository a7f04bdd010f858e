"""The type stub installed beside the module describes what the module has, and every public
name carries a docstring."""

import ast
import inspect
import os
import unittest

import alike


def stub_tree():
    path = os.path.join(os.path.dirname(alike.__file__), "__init__.pyi")
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read())


def public_names(obj):
    return {n for n in dir(obj) if not n.startswith("_") or n in ("__len__", "__contains__",
                                                                 "__enter__", "__exit__")}


class StubTest(unittest.TestCase):
    def test_the_stub_names_every_public_class_function_and_method(self):
        tree = stub_tree()
        stub_classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
        stub_functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        for name in alike.__all__:
            value = getattr(alike, name)
            if inspect.isclass(value) and issubclass(value, BaseException):
                self.assertIn(name, stub_classes)
                stub_bases = [ast.unparse(b) for b in stub_classes[name].bases]
                self.assertEqual(stub_bases, [b.__name__ for b in value.__bases__], name)
            elif inspect.isclass(value):
                self.assertIn(name, stub_classes)
                stub_members = {n.name for n in stub_classes[name].body
                                if isinstance(n, ast.FunctionDef)}
                own = public_names(value) - public_names(object)
                self.assertEqual(own - stub_members, set(), f"{name} members missing in stub")
                self.assertEqual(stub_members - own - {"__init__"}, set(),
                                 f"{name} stub members the module lacks")
            elif callable(value):
                self.assertIn(name, stub_functions)

    def test_every_public_name_has_a_docstring(self):
        self.assertTrue(alike.__doc__)
        for name in alike.__all__:
            value = getattr(alike, name)
            if not (inspect.isclass(value) or callable(value)):
                continue
            self.assertTrue(value.__doc__, name)
            if inspect.isclass(value) and not issubclass(value, BaseException):
                for member in public_names(value) - public_names(object):
                    self.assertTrue(getattr(value, member).__doc__, f"{name}.{member}")


if __name__ == "__main__":
    unittest.main()
