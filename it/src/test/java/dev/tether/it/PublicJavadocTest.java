package dev.tether.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ModifiersTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.DocTrees;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every public or protected type, constructor, method and field of the published packages (all but
 * {@code *.internal}) has a javadoc comment. The javadoc build runs doclint without its "missing"
 * group, which would also demand an {@code @param} and {@code @return} for every obvious one; this
 * keeps the part of it that matters. Methods marked {@code @Override} inherit their comment.
 */
class PublicJavadocTest {
  private static final List<String> MODULES =
      List.of("api", "client", "server", "server-stub", "deflate", "micrometer");

  @Test
  void everyPublicElementOfThePublishedPackagesHasAComment() throws IOException {
    List<Path> sources = new ArrayList<>();
    for (String module : MODULES) {
      Path root = Path.of("..", module, "src", "main", "java");
      assertThat(root).isDirectory();
      try (Stream<Path> files = Files.walk(root)) {
        files.filter(f -> f.toString().endsWith(".java"))
            .filter(f -> !f.toString().contains("/internal/"))
            .filter(f -> !f.getFileName().toString().equals("module-info.java"))
            .forEach(sources::add);
      }
    }
    assertThat(sources).hasSizeGreaterThan(20);

    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    List<String> missing = new ArrayList<>();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromPaths(sources);
      JavacTask task = (JavacTask) compiler.getTask(null, files, null, List.of("-proc:none"), null, units);
      DocTrees docs = DocTrees.instance(task);
      for (CompilationUnitTree unit : task.parse()) {
        new Scanner(docs, unit, missing).scan(unit, null);
      }
    }
    assertThat(missing).as("public elements without javadoc").isEmpty();
  }

  /** Visits the API: public and protected members of types that are themselves visible. */
  private static final class Scanner extends TreePathScanner<Void, Void> {
    private final DocTrees docs;
    private final CompilationUnitTree unit;
    private final List<String> missing;

    Scanner(DocTrees docs, CompilationUnitTree unit, List<String> missing) {
      this.docs = docs;
      this.unit = unit;
      this.missing = missing;
    }

    @Override
    public Void visitClass(ClassTree type, Void unused) {
      if (!visible(type.getModifiers(), getCurrentPath())) {
        return null; // nothing inside a hidden type is API
      }
      check(type.getSimpleName().toString());
      return super.visitClass(type, unused);
    }

    @Override
    public Void visitMethod(MethodTree method, Void unused) {
      boolean override = method.getModifiers().getAnnotations().stream()
          .anyMatch(a -> a.getAnnotationType().toString().equals("Override"));
      if (!override && visible(method.getModifiers(), getCurrentPath())) {
        check(method.getName().toString());
      }
      return null; // not into the body: local and anonymous classes are not API
    }

    @Override
    public Void visitVariable(VariableTree field, Void unused) {
      if (getCurrentPath().getParentPath().getLeaf() instanceof ClassTree
          && visible(field.getModifiers(), getCurrentPath())) {
        check(field.getName().toString());
      }
      return null;
    }

    private void check(String name) {
      if (docs.getDocCommentTree(getCurrentPath()) == null) {
        long line = unit.getLineMap().getLineNumber(docs.getSourcePositions()
            .getStartPosition(unit, getCurrentPath().getLeaf()));
        missing.add(unit.getSourceFile().getName().replaceFirst(".*/src/main/java/", "") + ":" + line + " " + name);
      }
    }

    /** Public or protected, or a member of an interface (implicitly public), in a visible type. */
    private static boolean visible(ModifiersTree modifiers, TreePath path) {
      Tree parent = path.getParentPath().getLeaf();
      boolean inInterface = parent instanceof ClassTree c
          && (c.getKind() == Tree.Kind.INTERFACE || c.getKind() == Tree.Kind.ANNOTATION_TYPE);
      boolean enumConstant = parent instanceof ClassTree c && c.getKind() == Tree.Kind.ENUM
          && path.getLeaf() instanceof VariableTree v && v.getModifiers().getFlags().isEmpty()
          && v.getType() == null;
      if (modifiers.getFlags().contains(Modifier.PRIVATE)) {
        return false;
      }
      return inInterface || enumConstant || modifiers.getFlags().contains(Modifier.PUBLIC)
          || modifiers.getFlags().contains(Modifier.PROTECTED);
    }
  }
}
